// Who the relay fans a group's envelopes out to, and from which epoch each member is owed them.
//
// The relay learns memberships from the statements members subscribe with. A statement's
// member_since names the membership epoch its holder's latest join produced; a member_since the
// relay has not served for that (group, member) is a new membership (a first subscription, or a
// re-admission after a removal): it is owed the group's stored envelopes of epoch >= member_since,
// and never earlier ones (backward secrecy; the relay's metadata stays minimal).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "relay/types.h"

namespace twofold::relay {

class Memberships {
  public:
    enum class Change {
        none,      // nothing new to persist
        epoch,     // the same membership, a newer statement epoch
        admitted,  // a membership not served before: owed the stored envelopes from member_since
    };

    void load(const std::vector<Subscription>& subscriptions);

    // Records the subscription. A member_since of 0 (a GMS older than the field) never admits:
    // the subscription only receives what is published from now on. One older than the served
    // membership's changes nothing but the epoch (the caller refuses such statements first).
    Change subscribe(const Subscription& subscription);

    // The membership epoch this member is served from in the group (0: unknown, everything).
    std::uint64_t member_since(const GroupId& group, const MemberKey& member) const;

    // The subscribers, other than the sender, owed an envelope of this epoch.
    std::vector<MemberKey> owed(const GroupId& group, const MemberKey& sender, std::uint64_t epoch) const;

  private:
    struct Served {
        std::uint64_t epoch = 0;
        std::uint64_t member_since = 0;
    };
    std::unordered_map<GroupId, std::unordered_map<MemberKey, Served>> groups_;
};

}  // namespace twofold::relay
