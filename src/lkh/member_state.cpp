#include "lkh/member_state.h"

#include <algorithm>
#include <array>
#include <string>

namespace twofold::lkh {

namespace {

constexpr std::uint8_t kStateMagic[4] = {'T', 'F', 'M', 'S'};
constexpr std::uint8_t kStateFormat = 1;
constexpr std::size_t kPathKeyBytes = 1 + 4 + 8 + kKeyBytes;

std::string node_name(NodeId id) { return "(" + std::to_string(id.level) + "," + std::to_string(id.index) + ")"; }

}  // namespace

MemberState MemberState::make(ByteView group_id, unsigned arity, unsigned height, std::uint32_t leaf,
                              std::uint64_t epoch, std::span<const PathKey> path) {
    MemberState s;
    s.group_id_.assign(group_id.begin(), group_id.end());
    s.arity_ = arity;
    s.height_ = height;
    s.leaf_ = leaf;
    s.epoch_ = epoch;
    s.path_.reserve(kMaxHeight + 1);  // one secure allocation for life: apply() never reallocates
    s.path_.assign(path.begin(), path.end());
    return s;
}

MemberState::MemberState(const MemberState& o)
    : group_id_(o.group_id_), arity_(o.arity_), height_(o.height_), leaf_(o.leaf_), epoch_(o.epoch_) {
    path_.reserve(kMaxHeight + 1);
    path_.assign(o.path_.begin(), o.path_.end());
}

MemberState& MemberState::operator=(const MemberState& o) {
    if (this != &o) *this = MemberState(o);
    return *this;
}

std::span<const std::uint8_t, kKeyBytes> MemberState::rn2() const {
    return std::span<const std::uint8_t, kKeyBytes>(path_.back().key);
}

// "TFMS" | format u8 | arity u8 | id_len u8 | group_id | epoch u64 | height u8 | leaf u32
// | count u8 | (level u8, index u32, version u64, key 32)*count, leaf first, root last
crypto::SecretBuffer MemberState::serialise() const {
    const std::size_t size = 4 + 3 + group_id_.size() + 8 + 1 + 4 + 1 + path_.size() * kPathKeyBytes;
    crypto::SecretBuffer out(size);
    auto d = out.mutable_span();
    std::size_t at = 0;
    const auto put = [&](std::uint64_t v, int bytes) {
        for (int s = (bytes - 1) * 8; s >= 0; s -= 8) d[at++] = static_cast<std::uint8_t>(v >> s);
    };
    for (std::uint8_t c : kStateMagic) d[at++] = c;
    put(kStateFormat, 1);
    put(arity_, 1);
    put(group_id_.size(), 1);
    for (std::uint8_t c : group_id_) d[at++] = c;
    put(epoch_, 8);
    put(height_, 1);
    put(leaf_, 4);
    put(path_.size(), 1);
    for (const PathKey& k : path_) {
        put(k.id.level, 1);
        put(k.id.index, 4);
        put(k.version, 8);
        for (std::uint8_t c : k.key) d[at++] = c;
    }
    return out;
}

Result<MemberState> MemberState::parse(ByteView b) {
    const auto bad = [](const std::string& why) { return make_error(Errc::malformed, "member key state: " + why); };
    std::size_t at = 0;
    const auto get = [&](int bytes) {
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) v = (v << 8) | b[at++];
        return v;
    };
    if (b.size() < 7 || !std::equal(std::begin(kStateMagic), std::end(kStateMagic), b.begin())) return bad("bad magic");
    at = 4;
    if (get(1) != kStateFormat) return bad("unknown format");
    MemberState s;
    s.arity_ = static_cast<unsigned>(get(1));
    const std::size_t id_len = get(1);
    if (id_len == 0 || b.size() < at + id_len + 14) return bad("truncated header");
    s.group_id_.assign(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + id_len));
    at += id_len;
    s.epoch_ = get(8);
    s.height_ = static_cast<unsigned>(get(1));
    s.leaf_ = static_cast<std::uint32_t>(get(4));
    const std::size_t count = get(1);
    if (s.height_ == 0 || s.height_ > kMaxHeight || count != s.height_ + 1 || b.size() - at != count * kPathKeyBytes) return bad("path does not match the height");
    s.path_.reserve(kMaxHeight + 1);
    s.path_.resize(count);
    for (PathKey& k : s.path_) {
        k.id.level = static_cast<std::uint8_t>(get(1));
        k.id.index = static_cast<std::uint32_t>(get(4));
        k.version = get(8);
        std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), kKeyBytes, k.key.begin());
        at += kKeyBytes;
    }
    if (s.path_.back().id != NodeId{static_cast<std::uint8_t>(s.height_), 0}) return bad("last key is not the root");
    return s;
}

Status MemberState::apply(ByteView message) {
    auto parsed = RekeyMessage::parse(message);
    if (!parsed) return parsed.error();
    return apply(*parsed);
}

Status MemberState::apply(const RekeyMessage& m) {
    // Cheap checks first; then all work happens on a copy that replaces the state only on success.
    if (m.group_id != group_id_) return make_error(Errc::unknown, "rekey is for another group");
    if (m.epoch <= epoch_) {
        return make_error(Errc::stale_epoch, "rekey for epoch " + std::to_string(m.epoch) + " but this member is at epoch " +
                                                 std::to_string(epoch_) + " (replayed or reordered)");
    }
    if (m.arity != arity_) return make_error(Errc::malformed, "rekey arity differs from the group's");

    std::uint32_t leaf = leaf_;
    for (const Move& mv : m.moves) {
        if (mv.from == leaf) leaf = mv.to;
    }
    if (leaf >= m.members) {
        return make_error(Errc::unknown, "this member's leaf is not in the tree of epoch " + std::to_string(m.epoch) +
                                             " (removed, or missed a rekey: ask the GMS)");
    }
    // Scratch space on the stack, wiped on every exit: no allocation on this hot path. `known`
    // holds the old path and what the message teaches; `next` the new path.
    struct Scratch {
        std::array<PathKey, std::size_t{2} * (kMaxHeight + 1)> known;
        std::array<PathKey, kMaxHeight + 1> next;
        ~Scratch() { crypto::wipe(MutableByteView(reinterpret_cast<std::uint8_t*>(this), sizeof *this)); }
    } scratch;
    if (path_.size() > kMaxHeight + 1 || m.height > kMaxHeight) {
        return make_error(Errc::malformed, "rekey height is out of range");
    }
    std::span<PathKey> known(scratch.known.data(), path_.size());
    std::copy(path_.begin(), path_.end(), known.begin());
    known.front().id = NodeId{0, leaf};  // the leaf key moves with its member

    const auto header_hash = crypto::sha256(m.header());
    for (const Entry& e : m.entries) {
        const auto holder = std::find_if(known.begin(), known.end(), [&](const PathKey& k) {
            return k.id == e.wrapping && k.version == e.wrapping_version;
        });
        if (holder == known.end()) continue;
        PathKey learned{e.target, m.epoch, {}};
        if (!crypto::aead_decrypt(holder->key, e.nonce, e.wrapped, entry_ad(header_hash, e), learned.key)) {
            return make_error(Errc::auth_failed, "rekey entry for node " + node_name(e.target) + " under node " +
                                                     node_name(e.wrapping) + " does not authenticate");
        }
        const auto same = std::find_if(known.begin(), known.end(), [&](const PathKey& k) { return k.id == e.target; });
        if (same != known.end()) {
            *same = learned;
        } else if (known.size() < scratch.known.size()) {
            known = std::span<PathKey>(scratch.known.data(), known.size() + 1);
            known.back() = learned;
        }
        crypto::wipe(learned.key);
    }

    // Keep exactly the new path, leaf first; the root must be this epoch's.
    PathKey* next = scratch.next.data();
    for (unsigned l = 0; l <= m.height; ++l) {
        const NodeId id = ancestor(leaf, l, m.arity, m.height);
        const auto k = std::find_if(known.begin(), known.end(), [&](const PathKey& p) { return p.id == id; });
        if (k == known.end() || (l == m.height && k->version != m.epoch)) {
            return make_error(Errc::unknown, "rekey for epoch " + std::to_string(m.epoch) +
                                                 " does not lead to a root this member can derive (it is at epoch " +
                                                 std::to_string(epoch_) + "; ask the GMS for the current state)");
        }
        next[l] = *k;
    }
    path_.assign(next, next + m.height + 1);  // reuses the secure allocation when it is big enough
    leaf_ = leaf;
    height_ = m.height;
    epoch_ = m.epoch;
    return {};
}

}  // namespace twofold::lkh
