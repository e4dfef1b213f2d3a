#include "mqtt_auth/access_policy.h"

#include "mqtt_auth/signature_check.h"
#include "mqtt_auth/topics.h"
#include "wire/statement.h"
#include "wire/validate.h"

namespace twofold::mqtt_auth {

namespace {

Status refuse(std::string why) { return make_error(Errc::forbidden, std::move(why)); }

// Size, shape and the GMS's signature: what every statement must pass, however it came.
Result<v1::MembershipStatement> checked_statement(const crypto::SignPublicKey& gms_key, const relay::GroupId& group,
                                                  std::string_view payload) {
    if (payload.size() > kStatementMaxBytes) {
        return make_error(Errc::too_large, "statement of " + std::to_string(payload.size()) + " bytes (at most " +
                                               std::to_string(kStatementMaxBytes) + ")");
    }
    v1::MembershipStatement statement;
    if (!statement.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        return make_error(Errc::malformed, "statement does not parse as a MembershipStatement");
    }
    if (auto s = wire::validate(statement); !s) return s.error();
    if (statement.group_id() != group) return refuse("statement is for another group than its topic").error();
    if (auto s = check_signature(gms_key, wire::statement_signed_bytes(statement), as_bytes(statement.gms_signature()),
                                 "membership statement (GMS)");
        !s) {
        return refuse(s.error().message).error();
    }
    return statement;
}

Status stale(const char* why, std::uint64_t stamp, std::uint64_t member_since) {
    return make_error(Errc::stale_epoch, std::string(why) + ": envelope of epoch " + std::to_string(stamp) +
                                             ", membership since epoch " + std::to_string(member_since));
}

}  // namespace

AccessPolicy::Held AccessPolicy::held_from(const v1::MembershipStatement& statement) const {
    Held h{statement.epoch(), statement.member_since(), wire::statement_deadline_unix(statement), 0};
    // An absent member's queue is filled for the retention after its statement expired, never
    // past the end of its membership (valid_until: the GMS removes it then).
    h.queue_until_ms = statement.expires_unix() * relay::kMsPerSecond + retention_ms_;
    if (statement.valid_until() != 0) {
        h.queue_until_ms = std::min(h.queue_until_ms, statement.valid_until() * relay::kMsPerSecond);
    }
    return h;
}

Status AccessPolicy::present_statement(const relay::GroupId& group, std::string_view payload, std::uint64_t now_ms,
                                       Recorded* recorded) {
    // Cheap checks first: size, shape, then the signature, then the gate's epoch rule.
    auto statement = checked_statement(gms_key_, group, payload);
    if (!statement) return statement.error();
    const relay::MemberKey member = statement->identity_key();
    std::vector<relay::GroupEpoch> raised;
    if (auto s = gate_.admit(*statement, member, group, now_ms, /*signature_checked=*/true, raised); !s) return s;
    if (recorded) {
        recorded->member = member;
        recorded->raised = raised;
    }
    return record(member, group, held_from(*statement), now_ms, recorded);
}

bool AccessPolicy::restore_statement(const relay::GroupId& group, std::string_view payload, std::uint64_t now_ms) {
    auto statement = checked_statement(gms_key_, group, payload);
    if (!statement) return false;
    const Held h = held_from(*statement);
    if (h.queue_until_ms <= now_ms) return false;
    return static_cast<bool>(record(statement->identity_key(), group, h, now_ms, nullptr));
}

Status AccessPolicy::record(const relay::MemberKey& member, const relay::GroupId& group, const Held& presented,
                            std::uint64_t now_ms, Recorded* recorded) {
    forget_ended(member, now_ms);
    auto& groups = held_[member];
    auto it = groups.find(group);
    if (it == groups.end() && groups.size() >= kMaxGroupsPerKey) {
        return make_error(Errc::rate_limited,
                          "this key already holds statements for " + std::to_string(kMaxGroupsPerKey) + " groups");
    }
    // An older statement shown after a newer one does not replace it.
    if (it == groups.end() || presented.epoch > it->second.epoch ||
        (presented.epoch == it->second.epoch && presented.expires_unix != it->second.expires_unix)) {
        groups[group] = presented;
        if (!subscribed_.contains({member, group})) unsubscribed_[group].insert(member);
        if (recorded) recorded->statement_changed = true;
    }
    return {};
}

const AccessPolicy::Held* AccessPolicy::held(const relay::MemberKey& member, const relay::GroupId& group) const {
    const auto key = held_.find(member);
    if (key == held_.end()) return nullptr;
    const auto it = key->second.find(group);
    return it == key->second.end() ? nullptr : &it->second;
}

Status AccessPolicy::holds_membership(const relay::MemberKey& member, const relay::GroupId& group,
                                      std::uint64_t now_ms) const {
    const Held* h = held(member, group);
    if (!h) return refuse("no membership statement presented for this group");
    if (h->expires_unix * relay::kMsPerSecond <= now_ms) {
        return make_error(Errc::stale_epoch, "membership statement expired at " + std::to_string(h->expires_unix));
    }
    if (!gate_.epoch_acceptable(group, h->epoch, now_ms)) {
        return make_error(Errc::stale_epoch, "membership statement epoch " + std::to_string(h->epoch) +
                                                 " was superseded and its grace period has passed");
    }
    return {};
}

Status AccessPolicy::may_subscribe(const relay::MemberKey& member, std::string_view topic, std::uint64_t now_ms) const {
    return may_receive(member, topic, std::nullopt, now_ms);
}

Status AccessPolicy::may_receive(const relay::MemberKey& member, std::string_view topic,
                                 std::optional<std::uint64_t> stamp, std::uint64_t now_ms) const {
    const Topic t = classify_topic(topic);
    switch (t.kind) {
        case TopicKind::group: {
            if (auto s = holds_membership(member, t.id, now_ms); !s) return s;
            const Held* h = held(member, t.id);
            if (stamp && *stamp < h->member_since) return stale("sent before this membership", *stamp, h->member_since);
            return {};
        }
        case TopicKind::mailbox: return t.id == member ? Status{} : refuse("another key's mailbox is not readable");
        case TopicKind::statement: return refuse("statement topics are never delivered");
        case TopicKind::other: break;
    }
    return refuse("not a twofold/v1 topic (or a wildcard)");
}

Status AccessPolicy::may_queue(const relay::MemberKey& member, std::string_view topic,
                               std::optional<std::uint64_t> stamp, std::uint64_t now_ms) const {
    const Topic t = classify_topic(topic);
    // Unstamped envelopes (queued before the plugin stamped) carry no epoch to judge by: the
    // statement must be good now, as before.
    if (t.kind != TopicKind::group || !stamp) return may_receive(member, topic, stamp, now_ms);
    const Held* h = held(member, t.id);
    if (!h) return refuse("no membership statement presented for this group");
    if (h->queue_until_ms <= now_ms) {
        return make_error(Errc::stale_epoch, "membership statement expired at " + std::to_string(h->expires_unix) +
                                                 ", longer ago than the retention");
    }
    if (*stamp < h->member_since) return stale("sent before this membership", *stamp, h->member_since);
    return {};
}

std::optional<std::uint64_t> AccessPolicy::publisher_epoch(const relay::MemberKey& member,
                                                           const relay::GroupId& group) const {
    const Held* h = held(member, group);
    if (!h) return std::nullopt;
    return h->epoch;
}

bool AccessPolicy::note_subscribed(const relay::MemberKey& member, const relay::GroupId& group) {
    if (!subscribed_.insert({member, group}).second) return false;
    if (auto it = unsubscribed_.find(group); it != unsubscribed_.end()) {
        it->second.erase(member);
        if (it->second.empty()) unsubscribed_.erase(it);
    }
    return true;
}

void AccessPolicy::load_subscriptions(const std::vector<std::pair<relay::MemberKey, relay::GroupId>>& subscribed) {
    for (const auto& [member, group] : subscribed) note_subscribed(member, group);
}

std::vector<relay::MemberKey> AccessPolicy::awaiting_subscription(const relay::GroupId& group, std::uint64_t stamp,
                                                                  std::uint64_t now_ms) const {
    std::vector<relay::MemberKey> owed;
    const auto it = unsubscribed_.find(group);
    if (it == unsubscribed_.end()) return owed;
    for (const auto& member : it->second) {
        const Held* h = held(member, group);
        if (h && h->member_since <= stamp && now_ms < h->queue_until_ms) owed.push_back(member);
    }
    return owed;
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

void AccessPolicy::forget_ended(const relay::MemberKey& member, std::uint64_t now_ms) {
    auto key = held_.find(member);
    if (key == held_.end()) return;
    std::erase_if(key->second, [&](const auto& g) {
        if (g.second.queue_until_ms > now_ms) return false;
        if (auto it = unsubscribed_.find(g.first); it != unsubscribed_.end()) it->second.erase(member);
        return true;
    });
}

}  // namespace twofold::mqtt_auth
