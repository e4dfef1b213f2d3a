// GmsCore's time-driven side of memberships (issue 14): validities that end become removals,
// queued into the batch like a member's request and applied by the same LKH batch (strict
// groups' members rotate RN1 on the removal events as on any other), and `twofold extend`.
#include "core/validity.h"
#include "gms/core.h"

namespace twofold::gms {

namespace {

constexpr std::uint64_t kMsPerSecond = 1000;

}  // namespace

void GmsCore::queue_expiries(std::uint64_t now_ms) {
    for (const auto& [gid, aid] : expiries_.take_due(now_ms / kMsPerSecond)) {
        const auto g = groups_.find(gid);
        if (g == groups_.end()) continue;
        const auto m = g->second.members.find(aid);
        if (m == g->second.members.end()) continue;
        PendingGroup& pending = pending_of(g->second);
        if (pending.effective.erase(aid) == 0) continue;  // a request in this batch removes it already
        pending.changes.push_back(PendingChange{0, 0, v1::MemberNotification::CHANGE_REMOVE, aid, aid,
                                                m->second.rights, m->second.valid_until, true});
    }
}

void GmsCore::on_extend_validity(ClientId client, AccountId me, std::uint64_t rid, const v1::ExtendValidity& q,
                                 std::uint64_t now_ms, std::vector<Outgoing>& out) {
    Group* g = require_member(client, rid, q.group_id(), me, out);
    if (g == nullptr) return;
    if (!g->members.at(me).rights.may_invite) {
        answer_error(client, rid, v1::ERROR_CODE_FORBIDDEN, "missing right: may_invite", out);
        return;
    }
    const Account* target = find_account(q.account());
    const auto m = target ? g->members.find(target->id) : g->members.end();
    if (m == g->members.end()) {
        answer_error(client, rid, v1::ERROR_CODE_UNKNOWN_MEMBER, "'" + q.account() + "' is not a member", out);
        return;
    }
    // Otherwise a member with may_invite could keep itself in a group for ever.
    if (target->id == me) {
        answer_error(client, rid, v1::ERROR_CODE_FORBIDDEN,
                     "you cannot extend your own membership; another member with may_invite can", out);
        return;
    }
    if (q.valid_until_unix() == 0) {
        answer_error(client, rid, v1::ERROR_CODE_MALFORMED, "extend_validity.valid_until_unix is required", out);
        return;
    }
    auto validity = validity::check_validity(q.valid_until_unix(), now_ms / kMsPerSecond,
                                             g->policy.max_validity_seconds);
    if (!validity) {
        answer_error(client, rid,
                     validity.error().code == Errc::forbidden ? v1::ERROR_CODE_FORBIDDEN : v1::ERROR_CODE_MALFORMED,
                     validity.error().message, out);
        return;
    }
    m->second.valid_until = *validity;
    expiries_.set(g->id, target->id, *validity);
    journal_.membership(g->id, target->id);
    v1::GmsResponse r;
    r.set_request_id(rid);
    r.set_valid_until_unix(*validity);
    send(client, r, out);
}

}  // namespace twofold::gms
