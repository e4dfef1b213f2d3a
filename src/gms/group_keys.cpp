#include "gms/group_keys.h"

#include <algorithm>
#include <deque>

#include "crypto/gk.h"
#include "lkh/key_tree.h"

namespace twofold::gms {

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
    out.resize(count * (8 + crypto::kRn2Bytes));
    if (count == 0) return;
    auto* p = out.mutable_span().data();
    for (const auto& [epoch, rn2] : impl_->recent) {
        if (epoch < from_epoch) continue;
        for (int shift = 56; shift >= 0; shift -= 8) *p++ = static_cast<std::uint8_t>(epoch >> shift);
        p = std::copy(rn2.span().begin(), rn2.span().end(), p);
    }
}

std::uint64_t GroupKeys::epoch() const { return impl_ ? impl_->tree.epoch() : 0; }
std::size_t GroupKeys::member_count() const { return impl_ ? impl_->tree.size() : 0; }

crypto::SecretBuffer GroupKeys::serialise() const { return impl_->tree.serialise(); }
void GroupKeys::serialise_into(crypto::SecretBuffer& out) const { impl_->tree.serialise_into(out); }

Result<GroupKeys> GroupKeys::parse(ByteView bytes) {
    auto tree = lkh::KeyTree::parse(bytes);
    if (!tree) return tree.error();
    GroupKeys k;
    // No recent RN2s: they were never stored. Members loaded with it count as joined before any
    // epoch remembered from now on (Membership::joined_epoch 0).
    k.impl_ = std::make_unique<Impl>(Impl{std::move(*tree)});
    return k;
}

}  // namespace twofold::gms
