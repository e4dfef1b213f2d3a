#include "gms/group_keys.h"

#include <deque>

#include "crypto/gk.h"
#include "lkh/key_tree.h"

namespace twofold::gms {

struct GroupKeys::Impl {
    lkh::KeyTree tree;
    std::deque<std::pair<std::uint64_t, crypto::Rn2>> recent{};  // oldest first
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
    // The core validated membership against its own tables, which the tree mirrors exactly;
    // a refusal here would be a bug, not bad input.
    auto r = impl_->tree.batch(joins, removes);
    if (!r) return renew();
    impl_->recent.clear();  // a joiner may not have them, a removed member is gone
    return Rekey{r->epoch, std::move(r->message), r->wrapped_keys};
}

GroupKeys::Rekey GroupKeys::renew() {
    impl_->recent.emplace_back(impl_->tree.epoch(), crypto::Rn2::copy_of(impl_->tree.rn2()));
    if (impl_->recent.size() > kRecentRn2) impl_->recent.pop_front();
    lkh::Rekey r = impl_->tree.renew();
    return Rekey{r.epoch, std::move(r.message), r.wrapped_keys};
}

Result<crypto::SecretBuffer> GroupKeys::member_state(MemberId member) const { return impl_->tree.member_state(member); }

Status GroupKeys::member_state_into(MemberId member, crypto::SecretBuffer& out) const {
    return impl_->tree.member_state_into(member, out);
}

void GroupKeys::recent_rn2s_into(crypto::SecretBuffer& out) const {
    out.resize(impl_ ? impl_->recent.size() * (8 + crypto::kRn2Bytes) : 0);
    if (!impl_) return;
    auto* p = out.mutable_span().data();
    for (const auto& [epoch, rn2] : impl_->recent) {
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
    k.impl_ = std::make_unique<Impl>(Impl{std::move(*tree)});
    return k;
}

}  // namespace twofold::gms
