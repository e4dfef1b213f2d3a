#include "lkh/rekey_message.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace twofold::lkh {

namespace {

constexpr std::uint8_t kMagic[4] = {'T', 'F', 'L', 'K'};
constexpr std::uint8_t kFormat = 1;

void put8(Bytes& out, std::uint64_t v) { out.push_back(static_cast<std::uint8_t>(v)); }
void put32(Bytes& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void put64(Bytes& out, std::uint64_t v) {
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

// Reads fixed-size fields off the front of a buffer; any overrun makes it fail for good.
class Reader {
  public:
    explicit Reader(ByteView b) : b_(b) {}
    bool take(std::size_t n, ByteView& out) {
        if (failed_ || b_.size() - at_ < n) {
            failed_ = true;
            return false;
        }
        out = b_.subspan(at_, n);
        at_ += n;
        return true;
    }
    std::uint64_t uint(std::size_t n) {
        ByteView v;
        if (!take(n, v)) return 0;
        std::uint64_t x = 0;
        for (std::uint8_t c : v) x = (x << 8) | c;
        return x;
    }
    std::size_t left() const { return b_.size() - at_; }
    std::size_t offset() const { return at_; }
    bool failed() const { return failed_; }

  private:
    ByteView b_;
    std::size_t at_ = 0;
    bool failed_ = false;
};

Error truncated(const char* what) { return make_error(Errc::truncated, std::string("rekey message truncated in ") + what); }

}  // namespace

Bytes RekeyMessage::header() const {
    Bytes out(std::begin(kMagic), std::end(kMagic));
    put8(out, kFormat);
    put8(out, arity);
    put8(out, group_id.size());
    append(out, group_id);
    put64(out, epoch);
    put8(out, height);
    put32(out, members);
    put32(out, static_cast<std::uint32_t>(moves.size()));
    for (const Move& m : moves) {
        put32(out, m.from);
        put32(out, m.to);
    }
    return out;
}

Bytes RekeyMessage::encode() const {
    Bytes out = header();
    out.reserve(out.size() + 4 + entries.size() * kEntryBytes);
    put32(out, static_cast<std::uint32_t>(entries.size()));
    for (const Entry& e : entries) {
        put8(out, e.target.level);
        put32(out, e.target.index);
        put8(out, e.wrapping.level);
        put32(out, e.wrapping.index);
        put64(out, e.wrapping_version);
        append(out, e.nonce);
        append(out, e.wrapped);
    }
    return out;
}

Result<RekeyMessage> RekeyMessage::parse(ByteView bytes) {
    Reader r(bytes);
    ByteView magic;
    if (!r.take(4, magic)) return truncated("magic");
    if (!std::equal(magic.begin(), magic.end(), std::begin(kMagic))) {
        return make_error(Errc::malformed, "not a rekey message (bad magic)");
    }
    const auto format = r.uint(1);
    if (r.failed()) return truncated("format");
    if (format != kFormat) return make_error(Errc::malformed, "rekey message format " + std::to_string(format) + " is unknown");
    RekeyMessage m;
    m.arity = static_cast<unsigned>(r.uint(1));
    const auto id_len = r.uint(1);
    ByteView id;
    if (r.failed() || !r.take(id_len, id)) return truncated("group id");
    if (id_len == 0 || id_len > kMaxGroupIdBytes) return make_error(Errc::malformed, "rekey message group id length is bad");
    if (m.arity == 1 || m.arity > 16) {
        return make_error(Errc::malformed, "rekey message arity " + std::to_string(m.arity) + " is not supported");
    }
    m.group_id.assign(id.begin(), id.end());
    m.epoch = r.uint(8);
    m.height = static_cast<unsigned>(r.uint(1));
    m.members = static_cast<std::uint32_t>(r.uint(4));
    const auto move_count = r.uint(4);
    if (r.failed()) return truncated("header");
    if (m.height == 0 || m.height > kMaxHeight) return make_error(Errc::malformed, "rekey message height is out of range");
    // Counts are checked against the bytes present before anything is allocated.
    if (move_count > r.left() / 8) return truncated("moves");
    m.moves.resize(move_count);
    for (Move& mv : m.moves) {
        mv.from = static_cast<std::uint32_t>(r.uint(4));
        mv.to = static_cast<std::uint32_t>(r.uint(4));
    }
    const auto entry_count = r.uint(4);
    if (r.failed()) return truncated("entry count");
    if (entry_count > kMaxEntries) return make_error(Errc::too_large, "rekey message has too many entries");
    if (entry_count * kEntryBytes > r.left()) return truncated("entries");
    if (entry_count * kEntryBytes < r.left()) {
        return make_error(Errc::malformed, std::to_string(r.left() - entry_count * kEntryBytes) +
                                               " trailing bytes after the rekey entries");
    }
    m.entries.resize(entry_count);
    for (Entry& e : m.entries) {
        e.target.level = static_cast<std::uint8_t>(r.uint(1));
        e.target.index = static_cast<std::uint32_t>(r.uint(4));
        e.wrapping.level = static_cast<std::uint8_t>(r.uint(1));
        e.wrapping.index = static_cast<std::uint32_t>(r.uint(4));
        e.wrapping_version = r.uint(8);
        ByteView nonce, wrapped;
        r.take(e.nonce.size(), nonce);
        r.take(e.wrapped.size(), wrapped);
        if (r.failed()) return truncated("an entry");
        std::copy(nonce.begin(), nonce.end(), e.nonce.begin());
        std::copy(wrapped.begin(), wrapped.end(), e.wrapped.begin());
    }
    return m;
}

FixedBytes<crypto::kSha256Bytes + 18> entry_ad(const crypto::Sha256Digest& header_hash, const Entry& e) {
    FixedBytes<crypto::kSha256Bytes + 18> ad{};
    std::copy(header_hash.begin(), header_hash.end(), ad.begin());
    std::size_t at = header_hash.size();
    const auto put = [&](std::uint64_t v, int bytes) {
        for (int s = (bytes - 1) * 8; s >= 0; s -= 8) ad[at++] = static_cast<std::uint8_t>(v >> s);
    };
    put(e.target.level, 1);
    put(e.target.index, 4);
    put(e.wrapping.level, 1);
    put(e.wrapping.index, 4);
    put(e.wrapping_version, 8);
    return ad;
}

}  // namespace twofold::lkh
