// When memberships expire (issue 14, the thesis's time-driven LKH): a schedule of (group,
// member) by validity end. Pure: the GMS core asks what is due at a time it is given, and the
// server sets its one-shot timer to next_due() instead of polling. Members whose validity ends
// in the same second come out together, so they leave in one LKH batch per group.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "gms/model.h"

namespace twofold::gms {

class ExpirySchedule {
  public:
    using Entry = std::pair<GroupId, AccountId>;

    // Records (or moves) a membership's end; `valid_until` 0 (never) forgets it.
    void set(const GroupId& group, AccountId member, std::uint64_t valid_until);
    void forget(const GroupId& group, AccountId member) { set(group, member, 0); }
    void forget_group(const GroupId& group);

    // The earliest validity end recorded (unix seconds), if any.
    std::optional<std::uint64_t> next_due() const;
    // Every membership whose validity ended at or before `now` (unix seconds), earliest first,
    // and forgets them.
    std::vector<Entry> take_due(std::uint64_t now);
    std::size_t size() const noexcept { return until_.size(); }

  private:
    std::multimap<std::uint64_t, Entry> by_time_;
    std::map<Entry, std::uint64_t> until_;
};

}  // namespace twofold::gms
