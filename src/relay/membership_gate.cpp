#include "relay/membership_gate.h"

#include "core/validity.h"
#include "wire/statement.h"

namespace twofold::relay {

void MembershipGate::load(const std::vector<GroupEpoch>& epochs) {
    for (const auto& e : epochs) current_[e.group] = e;
}

Status MembershipGate::admit(const v1::MembershipStatement& statement, const MemberKey& member, const GroupId& group,
                             std::uint64_t now_ms, bool signature_checked, std::vector<GroupEpoch>& raised) {
    // Cheap comparisons before the signature check.
    if (statement.group_id() != group) return make_error(Errc::forbidden, "membership statement is for another group");
    if (statement.identity_key() != member) {
        return make_error(Errc::forbidden, "membership statement is for another identity key");
    }
    // The member's validity (field 9), whatever the statement's own expiry says.
    if (statement.valid_until() != 0 && statement.valid_until() * kMsPerSecond <= now_ms) {
        return make_error(Errc::stale_epoch, "membership of " + statement.account() + " expired at " +
                                                 validity::format_utc_time(statement.valid_until()));
    }
    if (statement.expires_unix() * kMsPerSecond <= now_ms) {
        return make_error(Errc::stale_epoch, "membership statement expired at " +
                                                 std::to_string(statement.expires_unix()) + " (unix seconds)");
    }
    if (!signature_checked) {
        auto s = wire::verify_statement(statement, gms_key_, now_ms / kMsPerSecond);
        if (!s) {
            if (s.error().code == Errc::auth_failed) {
                return make_error(Errc::forbidden, "membership statement is not signed by the GMS");
            }
            return s;
        }
    }
    auto it = current_.find(group);
    if (it == current_.end() || statement.epoch() > it->second.epoch) {
        GroupEpoch newer{group, statement.epoch(), now_ms};
        current_[group] = newer;
        raised.push_back(std::move(newer));
        return {};
    }
    if (!epoch_acceptable(group, statement.epoch(), now_ms)) {
        return make_error(Errc::stale_epoch, "membership statement epoch " + std::to_string(statement.epoch()) +
                                                 " is older than the group's epoch " +
                                                 std::to_string(it->second.epoch) + " and its grace period has passed");
    }
    return {};
}

bool MembershipGate::epoch_acceptable(const GroupId& group, std::uint64_t epoch, std::uint64_t now_ms) const {
    const auto it = current_.find(group);
    if (it == current_.end() || epoch >= it->second.epoch) return true;
    return now_ms < it->second.first_seen_ms + grace_ms_;
}

}  // namespace twofold::relay
