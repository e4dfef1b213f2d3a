#include "mqtt_auth/access_policy.h"

#include "mqtt_auth/signature_check.h"
#include "mqtt_auth/topics.h"
#include "wire/statement.h"
#include "wire/validate.h"

namespace twofold::mqtt_auth {

namespace {

Status refuse(std::string why) { return make_error(Errc::forbidden, std::move(why)); }

}  // namespace

Status AccessPolicy::present_statement(const relay::MemberKey& member, const relay::GroupId& group,
                                       std::string_view payload, std::uint64_t now_ms, Recorded* recorded) {
    // Cheap checks first: size, shape, then the signature, then the gate's epoch rule.
    if (payload.size() > kStatementMaxBytes) {
        return make_error(Errc::too_large, "statement of " + std::to_string(payload.size()) + " bytes (at most " +
                                               std::to_string(kStatementMaxBytes) + ")");
    }
    v1::MembershipStatement statement;
    if (!statement.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        return make_error(Errc::malformed, "statement does not parse as a MembershipStatement");
    }
    if (auto s = wire::validate(statement); !s) return s;
    if (statement.group_id() != group) return refuse("statement is for another group than its topic");
    if (statement.identity_key() != member) return refuse("statement is for another identity key");
    if (auto s = check_signature(gms_key_, wire::statement_signed_bytes(statement), as_bytes(statement.gms_signature()),
                                 "membership statement (GMS)");
        !s) {
        return refuse(s.error().message);
    }
    std::vector<relay::GroupEpoch> raised;
    if (auto s = gate_.admit(statement, member, group, now_ms, /*signature_checked=*/true, raised); !s) return s;
    if (recorded) recorded->raised = raised;

    auto& groups = held_[member];
    forget_expired(groups, now_ms);
    auto it = groups.find(group);
    if (it == groups.end() && groups.size() >= kMaxGroupsPerKey) {
        return make_error(Errc::rate_limited,
                          "this key already holds statements for " + std::to_string(kMaxGroupsPerKey) + " groups");
    }
    // An older statement shown after a newer one does not replace it.
    // Held until the statement expires or the membership's validity (field 9) ends, if sooner.
    const Held presented{statement.epoch(), wire::statement_deadline_unix(statement)};
    if (it == groups.end() || presented.epoch > it->second.epoch ||
        (presented.epoch == it->second.epoch && presented.expires_unix != it->second.expires_unix)) {
        groups[group] = presented;
        if (recorded) recorded->statement_changed = true;
    }
    return {};
}

Status AccessPolicy::holds_membership(const relay::MemberKey& member, const relay::GroupId& group,
                                      std::uint64_t now_ms) const {
    const auto key = held_.find(member);
    if (key == held_.end()) return refuse("no membership statement presented for this group");
    const auto it = key->second.find(group);
    if (it == key->second.end()) return refuse("no membership statement presented for this group");
    if (it->second.expires_unix * relay::kMsPerSecond <= now_ms) {
        return make_error(Errc::stale_epoch,
                          "membership statement expired at " + std::to_string(it->second.expires_unix));
    }
    if (!gate_.epoch_acceptable(group, it->second.epoch, now_ms)) {
        return make_error(Errc::stale_epoch, "membership statement epoch " + std::to_string(it->second.epoch) +
                                                 " was superseded and its grace period has passed");
    }
    return {};
}

Status AccessPolicy::may_subscribe(const relay::MemberKey& member, std::string_view topic, std::uint64_t now_ms) const {
    return may_receive(member, topic, now_ms);
}

Status AccessPolicy::may_receive(const relay::MemberKey& member, std::string_view topic, std::uint64_t now_ms) const {
    const Topic t = classify_topic(topic);
    switch (t.kind) {
        case TopicKind::group: return holds_membership(member, t.id, now_ms);
        case TopicKind::mailbox: return t.id == member ? Status{} : refuse("another key's mailbox is not readable");
        case TopicKind::statement: return refuse("statement topics are never delivered");
        case TopicKind::other: break;
    }
    return refuse("not a twofold/v1 topic (or a wildcard)");
}

Status AccessPolicy::may_publish(const relay::MemberKey& member, std::string_view topic, std::uint64_t now_ms) const {
    const Topic t = classify_topic(topic);
    switch (t.kind) {
        case TopicKind::group: return holds_membership(member, t.id, now_ms);
        case TopicKind::mailbox: return {};  // invitations go to keys that are not members yet
        case TopicKind::statement: return refuse("statements are presented, never forwarded");
        case TopicKind::other: break;
    }
    return refuse("not a twofold/v1 topic (or a wildcard)");
}

void AccessPolicy::forget_expired(std::map<relay::GroupId, Held>& groups, std::uint64_t now_ms) {
    std::erase_if(groups, [&](const auto& g) { return g.second.expires_unix * relay::kMsPerSecond <= now_ms; });
}

}  // namespace twofold::mqtt_auth
