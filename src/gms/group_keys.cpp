#include "gms/group_keys.h"

#include <algorithm>
#include <deque>
#include <string>

#include "crypto/gk.h"
#include "lkh/key_tree.h"

namespace twofold::gms {

namespace {

// Format 2 of the serialised keys: "TFGK" ‖ 2 ‖ count(1) ‖ count × (epoch(8) ‖ RN2(32)) ‖ tree.
// Format 1 (before the recent RN2s were stored) is the bare tree, which starts with lkh's own
// magic, so the two cannot be mistaken for each other.
constexpr std::uint8_t kKeysMagic[4] = {'T', 'F', 'G', 'K'};
constexpr std::uint8_t kKeysFormat = 2;
constexpr std::size_t kHeadBytes = sizeof kKeysMagic + 2;
constexpr std::size_t kRecentItemBytes = 8 + crypto::kRn2Bytes;

std::uint8_t* put_epoch(std::uint8_t* p, std::uint64_t epoch) {
    for (int shift = 56; shift >= 0; shift -= 8) *p++ = static_cast<std::uint8_t>(epoch >> shift);
    return p;
}

std::uint64_t get_epoch(ByteView b) {
    std::uint64_t e = 0;
    for (std::size_t i = 0; i < 8; ++i) e = (e << 8) | b[i];
    return e;
}

}  // namespace

struct GroupKeys::Impl {
    lkh::KeyTree tree;
    std::deque<std::pair<std::uint64_t, crypto::Rn2>> recent{};  // ended epochs, oldest first

    // Keeps the current epoch's RN2 before a rekey ends it. Once the list is full, the oldest
    // entry's secure allocation is reused: a fresh one costs several system calls.
    void remember_current() {
        const bool full = recent.size() >= kRecentRn2;
        crypto::Rn2 slot = full ? std::move(recent.front().second) : crypto::Rn2();
        if (full) recent.pop_front();
        std::ranges::copy(tree.rn2(), slot.mutable_span().begin());
        recent.emplace_back(tree.epoch(), std::move(slot));
    }
};

GroupKeys::GroupKeys() = default;
GroupKeys::GroupKeys(GroupKeys&&) noexcept = default;
GroupKeys& GroupKeys::operator=(GroupKeys&&) noexcept = default;
GroupKeys::~GroupKeys() = default;

GroupKeys GroupKeys::create(ByteView group_id, MemberId founder) {
    GroupKeys k;
    k.impl_ = std::make_unique<Impl>(Impl{lkh::KeyTree(group_id, founder)});
    return k;
}

GroupKeys::Rekey GroupKeys::change(std::span<const MemberId> joins, std::span<const MemberId> removes) {
    // The ending epoch's RN2 is kept like a renewal's: who may have it is decided per welcome,
    // by the member's join epoch (a joiner gets none of it, a removed member no welcome at all).
    impl_->remember_current();
    // The core validated membership against its own tables, which the tree mirrors exactly;
    // a refusal here would be a bug, not bad input: the epoch just kept ends by a renewal.
    auto r = impl_->tree.batch(joins, removes);
    if (!r) {
        lkh::Rekey renewal = impl_->tree.renew();
        return Rekey{renewal.epoch, std::move(renewal.message), renewal.wrapped_keys};
    }
    return Rekey{r->epoch, std::move(r->message), r->wrapped_keys};
}

GroupKeys::Rekey GroupKeys::renew() {
    impl_->remember_current();
    lkh::Rekey r = impl_->tree.renew();
    return Rekey{r.epoch, std::move(r.message), r.wrapped_keys};
}

Result<crypto::SecretBuffer> GroupKeys::member_state(MemberId member) const { return impl_->tree.member_state(member); }

Status GroupKeys::member_state_into(MemberId member, crypto::SecretBuffer& out) const {
    return impl_->tree.member_state_into(member, out);
}

void GroupKeys::recent_rn2s_into(std::uint64_t from_epoch, crypto::SecretBuffer& out) const {
    std::size_t count = 0;
    if (impl_) {
        for (const auto& entry : impl_->recent) count += entry.first >= from_epoch ? 1 : 0;
    }
    out.resize(count * kRecentItemBytes);
    if (count == 0) return;
    auto* p = out.mutable_span().data();
    for (const auto& [epoch, rn2] : impl_->recent) {
        if (epoch < from_epoch) continue;
        p = put_epoch(p, epoch);
        p = std::copy(rn2.span().begin(), rn2.span().end(), p);
    }
}

std::uint64_t GroupKeys::epoch() const { return impl_ ? impl_->tree.epoch() : 0; }
std::size_t GroupKeys::member_count() const { return impl_ ? impl_->tree.size() : 0; }

crypto::SecretBuffer GroupKeys::serialise() const {
    crypto::SecretBuffer out;
    serialise_into(out);
    return out;
}

void GroupKeys::serialise_into(crypto::SecretBuffer& out) const {
    // The tree is written first and moved up in place behind the head: no second secure buffer.
    impl_->tree.serialise_into(out);
    const std::size_t tree_bytes = out.size();
    const std::size_t head = kHeadBytes + impl_->recent.size() * kRecentItemBytes;
    out.resize(head + tree_bytes);
    auto* p = out.mutable_span().data();
    std::copy_backward(p, p + tree_bytes, p + head + tree_bytes);
    p = std::copy(std::begin(kKeysMagic), std::end(kKeysMagic), p);
    *p++ = kKeysFormat;
    *p++ = static_cast<std::uint8_t>(impl_->recent.size());
    for (const auto& [epoch, rn2] : impl_->recent) {
        p = put_epoch(p, epoch);
        p = std::copy(rn2.span().begin(), rn2.span().end(), p);
    }
}

Result<GroupKeys> GroupKeys::parse(ByteView bytes) {
    const bool format_1 =
        bytes.size() < sizeof kKeysMagic || !std::equal(std::begin(kKeysMagic), std::end(kKeysMagic), bytes.begin());
    if (format_1) {
        // Stored before the recent RN2s were: none. Members loaded with it joined at 0 (they had
        // no join epoch either), so they count as members of every epoch remembered from now on.
        auto tree = lkh::KeyTree::parse(bytes);
        if (!tree) return tree.error();
        GroupKeys k;
        k.impl_ = std::make_unique<Impl>(Impl{std::move(*tree)});
        return k;
    }
    const auto bad = [](const std::string& why) { return make_error(Errc::malformed, "stored group keys: " + why); };
    if (bytes.size() < kHeadBytes) return bad("truncated head");
    if (bytes[4] != kKeysFormat) return bad("unknown format " + std::to_string(bytes[4]));
    const std::size_t count = bytes[5];
    if (count > kRecentRn2) return bad("more recent RN2s than are kept");
    const std::size_t head = kHeadBytes + count * kRecentItemBytes;
    if (bytes.size() < head) return bad("truncated recent RN2s");
    auto tree = lkh::KeyTree::parse(bytes.subspan(head));
    if (!tree) return tree.error();
    GroupKeys k;
    k.impl_ = std::make_unique<Impl>(Impl{std::move(*tree)});
    std::uint64_t previous = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const ByteView item = bytes.subspan(kHeadBytes + i * kRecentItemBytes, kRecentItemBytes);
        const std::uint64_t epoch = get_epoch(item);
        // Ended epochs, oldest first, all before the tree's.
        if (epoch <= previous || epoch >= k.impl_->tree.epoch()) return bad("recent RN2 epochs out of order");
        previous = epoch;
        k.impl_->recent.emplace_back(epoch, crypto::Rn2::copy_of(item.subspan<8, crypto::kRn2Bytes>()));
    }
    return k;
}

}  // namespace twofold::gms
