#include "gms/expiry.h"

namespace twofold::gms {

void ExpirySchedule::set(const GroupId& group, AccountId member, std::uint64_t valid_until) {
    const Entry key{group, member};
    if (const auto it = until_.find(key); it != until_.end()) {
        auto [lo, hi] = by_time_.equal_range(it->second);
        for (auto e = lo; e != hi; ++e) {
            if (e->second == key) {
                by_time_.erase(e);
                break;
            }
        }
        until_.erase(it);
    }
    if (valid_until == 0) return;
    until_.emplace(key, valid_until);
    by_time_.emplace(valid_until, key);
}

void ExpirySchedule::forget_group(const GroupId& group) {
    std::vector<AccountId> members;
    for (auto it = until_.lower_bound({group, 0}); it != until_.end() && it->first.first == group; ++it) {
        members.push_back(it->first.second);
    }
    for (AccountId m : members) forget(group, m);
}

std::optional<std::uint64_t> ExpirySchedule::next_due() const {
    if (by_time_.empty()) return std::nullopt;
    return by_time_.begin()->first;
}

std::vector<ExpirySchedule::Entry> ExpirySchedule::take_due(std::uint64_t now) {
    std::vector<Entry> due;
    while (!by_time_.empty() && by_time_.begin()->first <= now) {
        due.push_back(by_time_.begin()->second);
        until_.erase(by_time_.begin()->second);
        by_time_.erase(by_time_.begin());
    }
    return due;
}

}  // namespace twofold::gms
