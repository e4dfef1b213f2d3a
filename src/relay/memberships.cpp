#include "relay/memberships.h"

namespace twofold::relay {

void Memberships::load(const std::vector<Subscription>& subscriptions) {
    for (const auto& s : subscriptions) groups_[s.group][s.member] = Served{s.epoch, s.member_since};
}

Memberships::Change Memberships::subscribe(const Subscription& s) {
    auto& members = groups_[s.group];
    const auto it = members.find(s.member);
    if (it == members.end()) {
        members[s.member] = Served{s.epoch, s.member_since};
        return s.member_since == 0 ? Change::epoch : Change::admitted;
    }
    Served& served = it->second;
    if (s.member_since > served.member_since) {
        served = Served{s.epoch, s.member_since};
        return Change::admitted;
    }
    if (s.epoch == served.epoch) return Change::none;
    served.epoch = s.epoch;
    return Change::epoch;
}

std::uint64_t Memberships::member_since(const GroupId& group, const MemberKey& member) const {
    const auto g = groups_.find(group);
    if (g == groups_.end()) return 0;
    const auto m = g->second.find(member);
    return m == g->second.end() ? 0 : m->second.member_since;
}

std::vector<MemberKey> Memberships::owed(const GroupId& group, const MemberKey& sender, std::uint64_t epoch) const {
    std::vector<MemberKey> out;
    const auto g = groups_.find(group);
    if (g == groups_.end()) return out;
    for (const auto& [member, served] : g->second) {
        // A member admitted after this epoch was not a member when it was sent.
        if (member != sender && served.member_since <= epoch) out.push_back(member);
    }
    return out;
}

}  // namespace twofold::relay
