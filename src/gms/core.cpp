#include "gms/core.h"

#include <algorithm>

#include "crypto/seal.h"
#include "crypto/turn_rest_credentials.h"
#include "crypto/x25519.h"
#include "core/validity.h"
#include "wire/statement.h"

namespace twofold::gms {

namespace {

constexpr std::uint64_t kMsPerSecond = 1000;

std::string to_string(const GroupId& id) { return std::string(id.begin(), id.end()); }

GroupId to_group_id(const std::string& bytes) {
    GroupId id{};
    std::copy_n(bytes.begin(), std::min(bytes.size(), id.size()), id.begin());
    return id;
}

v1::Rights to_proto(const Rights& r) {
    v1::Rights out;
    out.set_may_invite(r.may_invite);
    out.set_may_remove(r.may_remove);
    return out;
}

Rights from_proto(const v1::Rights& r) { return Rights{r.may_invite(), r.may_remove()}; }

v1::GroupPolicy to_proto(const Policy& p) {
    v1::GroupPolicy out;
    out.set_rn2_interval_seconds(p.rn2_interval_seconds);
    out.set_max_members(p.max_members);
    out.set_strict(p.strict);
    out.set_rn1_interval_seconds(p.rn1_interval_seconds);
    out.set_max_validity_seconds(p.max_validity_seconds);
    return out;
}

// Whose claim of a generation won, kept for the generations members may still hold.
void record_rn1_claim(Group& g, std::uint64_t generation, AccountId claimer) {
    g.rn1_claimers[generation] = claimer;
    std::erase_if(g.rn1_claimers, [&](const auto& c) { return c.first + kRn1ClaimsKept <= generation; });
}

std::shared_ptr<const Bytes> encode(const v1::GmsResponse& response) {
    auto bytes = std::make_shared<Bytes>(response.ByteSizeLong());
    response.SerializeToArray(bytes->data(), static_cast<int>(bytes->size()));
    return bytes;
}

}  // namespace

GmsCore::GmsCore(Config config, crypto::SigningKey signing_key, State state)
    : config_(config),
      signing_key_(std::move(signing_key)),
      budget_(config.requests_per_second, config.request_burst) {
    for (Account& a : state.accounts) {
        next_account_id_ = std::max(next_account_id_, a.id + 1);
        account_ids_.emplace(a.name, a.id);
        accounts_.emplace(a.id, std::move(a));
    }
    for (Group& g : state.groups) {
        const GroupId id = g.id;
        groups_.emplace(id, std::move(g));
        schedule_renewal(groups_.at(id), 0);
        // A validity that ended while the GMS was down is due at the first batch.
        for (const auto& [aid, m] : groups_.at(id).members) expiries_.set(id, aid, m.valid_until);
    }
}

// --- plumbing ---------------------------------------------------------------------------------

void GmsCore::send(ClientId to, const v1::GmsResponse& response, std::vector<Outgoing>& out) {
    out.push_back(Outgoing{to, encode(response)});
}

void GmsCore::answer_error(ClientId to, std::uint64_t request_id, v1::ErrorCode code, std::string message,
                           std::vector<Outgoing>& out) {
    v1::GmsResponse r;
    r.set_request_id(request_id);
    r.mutable_error()->set_code(code);
    r.mutable_error()->set_message(std::move(message));
    send(to, r, out);
}

void GmsCore::send_to_account(AccountId account, const std::shared_ptr<const Bytes>& payload,
                              std::vector<Outgoing>& out) {
    const auto it = online_.find(account);
    if (it == online_.end()) return;
    for (ClientId c : it->second) out.push_back(Outgoing{c, payload});
}

Group* GmsCore::find_group(const std::string& id) {
    const auto it = groups_.find(to_group_id(id));
    return it == groups_.end() ? nullptr : &it->second;
}

const Group* GmsCore::group(const GroupId& id) const {
    const auto it = groups_.find(id);
    return it == groups_.end() ? nullptr : &it->second;
}

Group* GmsCore::require_member(ClientId client, std::uint64_t rid, const std::string& group_id, AccountId me,
                               std::vector<Outgoing>& out) {
    Group* g = find_group(group_id);
    if (g == nullptr) {
        answer_error(client, rid, v1::ERROR_CODE_UNKNOWN_GROUP, "no such group", out);
        return nullptr;
    }
    if (!g->members.contains(me)) {
        answer_error(client, rid, v1::ERROR_CODE_FORBIDDEN, "you are not a member of this group", out);
        return nullptr;
    }
    return g;
}

const Account* GmsCore::find_account(const std::string& name) const {
    const auto it = account_ids_.find(name);
    return it == account_ids_.end() ? nullptr : &accounts_.at(it->second);
}

void GmsCore::connected(ClientId client, std::string address) { clients_[client] = Client{std::move(address), {}}; }

void GmsCore::log_out(ClientId client, Client& c) {
    if (!c.account) return;
    auto& sessions = online_[*c.account];
    sessions.erase(client);
    if (sessions.empty()) {
        online_.erase(*c.account);
        journal_.online(*c.account, false);
    }
    c.account.reset();
}

void GmsCore::disconnected(ClientId client) {
    const auto it = clients_.find(client);
    if (it == clients_.end()) return;
    log_out(client, it->second);
    clients_.erase(it);
}

Journal GmsCore::take_journal() { return journal_.build(accounts_, groups_); }

// --- requests ---------------------------------------------------------------------------------

std::optional<PasswordJob> GmsCore::handle(ClientId client, const v1::GmsRequest& request, std::uint64_t now_ms,
                                           std::vector<Outgoing>& out) {
    const auto cit = clients_.find(client);
    if (cit == clients_.end()) return std::nullopt;
    Client& c = cit->second;
    const std::uint64_t rid = request.request_id();

    // Cheap refusals first: the request budget, then authentication.
    const std::uint64_t budget_key = c.account ? *c.account : (1ULL << 63) | client;
    if (!budget_.take(budget_key, now_ms)) {
        answer_error(client, rid, v1::ERROR_CODE_RATE_LIMITED, "too many requests; slow down", out);
        return std::nullopt;
    }

    using R = v1::GmsRequest;
    switch (request.body_case()) {
        case R::kRegister: {
            const auto& reg = request.register_();
            if (find_account(reg.account()) != nullptr) {
                answer_error(client, rid, v1::ERROR_CODE_CONFLICT, "account '" + reg.account() + "' already exists", out);
                return std::nullopt;
            }
            if (reg.password().size() < config_.min_password_bytes) {
                answer_error(client, rid, v1::ERROR_CODE_MALFORMED,
                             "password must be at least " + std::to_string(config_.min_password_bytes) + " bytes", out);
                return std::nullopt;
            }
            if (!crypto::x25519_public_from_ed25519(as_bytes(reg.identity_key())).ok()) {
                answer_error(client, rid, v1::ERROR_CODE_MALFORMED, "identity_key is not a valid Ed25519 public key", out);
                return std::nullopt;
            }
            PasswordJob job{PasswordJob::Kind::register_account, client, rid, reg.account(), reg.password(), {}, {}};
            std::copy(reg.identity_key().begin(), reg.identity_key().end(), job.identity_key.begin());
            return job;
        }
        case R::kLogin: {
            const auto& login = request.login();
            const std::uint64_t wait = std::max(login_throttle_.wait_ms("account:" + login.account(), now_ms),
                                                login_throttle_.wait_ms("address:" + c.address, now_ms));
            if (wait > 0) {
                answer_error(client, rid, v1::ERROR_CODE_RATE_LIMITED,
                             "too many failed logins; try again in " + std::to_string((wait + 999) / 1000) + " s", out);
                return std::nullopt;
            }
            const Account* account = find_account(login.account());
            // An unknown account is checked against a dummy hash, so timing does not tell it apart.
            static const std::string kDummyHash =
                "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
            return PasswordJob{PasswordJob::Kind::login, client, rid, login.account(), login.password(),
                               account ? account->password_hash : kDummyHash, {}};
        }
        default:
            break;
    }

    if (!c.account) {
        answer_error(client, rid, v1::ERROR_CODE_UNAUTHENTICATED, "log in first", out);
        return std::nullopt;
    }
    const AccountId me = *c.account;
    switch (request.body_case()) {
        case R::kCreateGroup: on_create_group(client, me, rid, request.create_group(), now_ms, out); break;
        case R::kMemberNotification:
            on_member_notification(client, me, rid, request.member_notification(), now_ms, out);
            break;
        case R::kExtendValidity: on_extend_validity(client, me, rid, request.extend_validity(), now_ms, out); break;
        case R::kRekeyAck: on_rekey_ack(client, me, rid, request.rekey_ack(), out); break;
        case R::kRn2Inquiry: on_inquiry(client, me, rid, request.rn2_inquiry(), out); break;
        case R::kListMembers: on_list_members(client, me, rid, request.list_members(), now_ms, out); break;
        case R::kStatement: on_statement(client, me, rid, request.statement(), now_ms, out); break;
        case R::kRn1Generation: on_rn1_generation(client, me, rid, request.rn1_generation(), out); break;
        case R::kLookupAccount: on_lookup(client, rid, request.lookup_account(), out); break;
        default:
            answer_error(client, rid, v1::ERROR_CODE_MALFORMED, "unknown request type", out);
            break;
    }
    return std::nullopt;
}

void GmsCore::finish_register(const PasswordJob& job, Result<std::string> hash, std::vector<Outgoing>& out) {
    if (!clients_.contains(job.client)) return;
    if (!hash) {
        answer_error(job.client, job.request_id, v1::ERROR_CODE_INTERNAL, "could not hash the password", out);
        return;
    }
    // The name may have been taken while the hash was computed.
    if (find_account(job.account) != nullptr) {
        answer_error(job.client, job.request_id, v1::ERROR_CODE_CONFLICT, "account '" + job.account + "' already exists",
                     out);
        return;
    }
    const AccountId id = next_account_id_++;
    accounts_.emplace(id, Account{id, job.account, std::move(*hash), job.identity_key});
    account_ids_.emplace(job.account, id);
    journal_.account(id);
    v1::GmsResponse r;
    r.set_request_id(job.request_id);
    r.mutable_login();  // registered; the client logs in next
    send(job.client, r, out);
}

void GmsCore::finish_login(const PasswordJob& job, bool password_ok, std::uint64_t now_ms,
                           std::vector<Outgoing>& out) {
    const auto cit = clients_.find(job.client);
    if (cit == clients_.end()) return;
    const Account* account = find_account(job.account);
    if (!password_ok || account == nullptr) {
        login_throttle_.failed("account:" + job.account, now_ms);
        login_throttle_.failed("address:" + cit->second.address, now_ms);
        answer_error(job.client, job.request_id, v1::ERROR_CODE_UNAUTHENTICATED, "wrong account name or password", out);
        return;
    }
    login_throttle_.succeeded("account:" + job.account);
    Client& c = cit->second;
    log_out(job.client, c);  // a second login on one connection switches account
    c.account = account->id;
    auto& sessions = online_[account->id];
    if (sessions.empty()) journal_.online(account->id, true);
    sessions.insert(job.client);

    v1::GmsResponse r;
    r.set_request_id(job.request_id);
    auto* login = r.mutable_login();
    for (const auto& [gid, g] : groups_) {
        if (!g.members.contains(account->id)) continue;
        v1::GroupStatus* status = login->add_groups();
        *status = status_of(g, account->id);
        add_lan_session(g, now_ms, *status);
    }
    if (config_.turn.secret) add_turn_credentials(account->id, now_ms, *login->mutable_turn());
    send(job.client, r, out);
}

// The account's number, not its name, goes into the username: coturn logs usernames.
void GmsCore::add_turn_credentials(AccountId account, std::uint64_t now_ms, v1::TurnCredentials& turn) const {
    const auto credentials = crypto::turn_rest_credentials(config_.turn.secret->span(), std::to_string(account),
                                                           now_ms / kMsPerSecond + config_.turn.ttl_seconds);
    for (const auto& server : config_.turn.turn_servers) turn.add_turn_servers(server);
    turn.set_stun_server(config_.turn.stun_server);
    turn.set_username(credentials.username);
    turn.set_password(credentials.password);
    turn.set_expiry_unix(credentials.expiry_unix);
}

v1::GroupStatus GmsCore::status_of(const Group& g, AccountId member) const {
    v1::GroupStatus s;
    s.set_group_id(to_string(g.id));
    s.set_rn2_epoch(g.keys.epoch());
    s.set_membership_epoch(g.membership_epoch);
    s.set_rn1_generation(g.rn1_generation);
    add_rn1_claims(g, *s.mutable_rn1_claims());
    *s.mutable_policy() = to_proto(g.policy);
    if (const auto it = g.members.find(member); it != g.members.end()) {
        s.set_acknowledged_epoch(it->second.acknowledged_epoch);
        *s.mutable_rights() = to_proto(it->second.rights);
        s.set_valid_until_unix(it->second.valid_until);
    }
    return s;
}

void GmsCore::on_create_group(ClientId client, AccountId me, std::uint64_t rid, const v1::CreateGroupRequest& req,
                              std::uint64_t now_ms, std::vector<Outgoing>& out) {
    const GroupId id = to_group_id(req.group_id());
    if (groups_.contains(id) || pending_.contains(id)) {
        answer_error(client, rid, v1::ERROR_CODE_CONFLICT, "group id already exists", out);
        return;
    }
    Policy policy;
    policy.rn2_interval_seconds = req.policy().rn2_interval_seconds() == 0 ? config_.default_rn2_interval_seconds
                                                                           : req.policy().rn2_interval_seconds();
    policy.max_members = req.policy().max_members() == 0 ? config_.max_members : req.policy().max_members();
    policy.strict = req.policy().strict();
    policy.rn1_interval_seconds = req.policy().rn1_interval_seconds() == 0 ? config_.default_rn1_interval_seconds
                                                                           : req.policy().rn1_interval_seconds();
    policy.max_validity_seconds = req.policy().max_validity_seconds();
    if (policy.max_members > config_.max_members) {
        answer_error(client, rid, v1::ERROR_CODE_MALFORMED,
                     "max_members above this server's limit of " + std::to_string(config_.max_members), out);
        return;
    }
    Group g{id, policy, 1, 0, {}, GroupKeys::create(as_bytes(req.group_id()), me), {}};
    g.members.emplace(me, Membership{Rights{true, true}, 0, g.keys.epoch(), g.membership_epoch});
    auto [it, inserted] = groups_.emplace(id, std::move(g));
    journal_.group(id);
    journal_.membership(id, me);
    schedule_renewal(it->second, now_ms);

    v1::GmsResponse r;
    r.set_request_id(rid);
    *r.mutable_group() = status_of(it->second, me);
    add_lan_session(it->second, now_ms, *r.mutable_group());
    send(client, r, out);
    if (auto welcome = welcome_for(it->second, me)) send(client, *welcome, out);
}

void GmsCore::on_member_notification(ClientId client, AccountId me, std::uint64_t rid,
                                     const v1::MemberNotification& n, std::uint64_t now_ms,
                                     std::vector<Outgoing>& out) {
    Group* g = find_group(n.group_id());
    if (g == nullptr) {
        answer_error(client, rid, v1::ERROR_CODE_UNKNOWN_GROUP, "no such group", out);
        return;
    }
    // Checked against the membership as it will be once the changes already queued in this batch
    // apply, so two changes in one batch see each other.
    PendingGroup& pending = pending_of(*g);
    const auto refuse = [&](v1::ErrorCode code, std::string message) {
        if (pending.changes.empty()) pending_.erase(g->id);
        answer_error(client, rid, code, std::move(message), out);
    };
    const auto mine_it = pending.effective.find(me);
    if (mine_it == pending.effective.end()) return refuse(v1::ERROR_CODE_FORBIDDEN, "you are not a member of this group");
    const Rights mine = mine_it->second;
    const bool leave = n.change() == v1::MemberNotification::CHANGE_LEAVE;
    const Account* target = leave ? &accounts_.at(me) : find_account(n.account());
    if (target == nullptr) return refuse(v1::ERROR_CODE_UNKNOWN_MEMBER, "no account '" + n.account() + "'");
    const bool target_is_member = pending.effective.contains(target->id);
    Rights granted;
    std::uint64_t valid_until = 0;
    switch (n.change()) {
        case v1::MemberNotification::CHANGE_ADD: {
            granted = from_proto(n.rights());
            if (!mine.may_invite) return refuse(v1::ERROR_CODE_FORBIDDEN, "missing right: may_invite");
            if (!mine.covers(granted)) {
                return refuse(v1::ERROR_CODE_FORBIDDEN,
                              std::string("cannot grant a right you lack: ") +
                                  (granted.may_remove && !mine.may_remove ? "may_remove" : "may_invite"));
            }
            if (target_is_member) return refuse(v1::ERROR_CODE_CONFLICT, "'" + target->name + "' is already a member");
            if (pending.effective.size() >= g->policy.max_members) {
                return refuse(v1::ERROR_CODE_FORBIDDEN,
                              "group is full (max_members " + std::to_string(g->policy.max_members) + ")");
            }
            auto validity =
                validity::check_validity(n.valid_until_unix(), now_ms / kMsPerSecond, g->policy.max_validity_seconds);
            if (!validity) {
                return refuse(validity.error().code == Errc::forbidden ? v1::ERROR_CODE_FORBIDDEN
                                                                       : v1::ERROR_CODE_MALFORMED,
                              validity.error().message);
            }
            valid_until = *validity;
            pending.effective.emplace(target->id, granted);
            break;
        }
        case v1::MemberNotification::CHANGE_REMOVE:
        case v1::MemberNotification::CHANGE_LEAVE:
            if (!leave && target->id != me && !mine.may_remove) {
                return refuse(v1::ERROR_CODE_FORBIDDEN, "missing right: may_remove");
            }
            if (!target_is_member) return refuse(v1::ERROR_CODE_UNKNOWN_MEMBER, "'" + target->name + "' is not a member");
            pending.effective.erase(target->id);
            break;
        default:
            return refuse(v1::ERROR_CODE_MALFORMED, "member_notification.change is unspecified");
    }
    pending.changes.push_back(PendingChange{client, rid, n.change(), target->id, me, granted, valid_until, false});
}

GmsCore::PendingGroup& GmsCore::pending_of(const Group& g) {
    const auto [it, fresh] = pending_.try_emplace(g.id);
    if (fresh) {
        for (const auto& [aid, m] : g.members) it->second.effective.emplace(aid, m.rights);
    }
    return it->second;
}

void GmsCore::on_rekey_ack(ClientId client, AccountId me, std::uint64_t rid, const v1::RekeyAck& ack,
                           std::vector<Outgoing>& out) {
    Group* g = require_member(client, rid, ack.group_id(), me, out);
    if (g == nullptr) return;
    const auto m = g->members.find(me);
    if (ack.epoch() > g->keys.epoch()) {
        answer_error(client, rid, v1::ERROR_CODE_MALFORMED,
                     "ack for epoch " + std::to_string(ack.epoch()) + " beyond the current " +
                         std::to_string(g->keys.epoch()),
                     out);
        return;
    }
    if (ack.epoch() > m->second.acknowledged_epoch) {
        m->second.acknowledged_epoch = ack.epoch();
        journal_.acknowledged(g->id, me);
    }
    // An ack without a request id expects no answer (only an error): members acknowledge every
    // rekey, and answering each would double the server's writes.
    if (rid == 0) return;
    v1::GmsResponse r;
    r.set_request_id(rid);
    r.set_epoch(m->second.acknowledged_epoch);
    send(client, r, out);
}

void GmsCore::on_inquiry(ClientId client, AccountId me, std::uint64_t rid, const v1::Rn2Inquiry& q,
                         std::vector<Outgoing>& out) {
    Group* g = require_member(client, rid, q.group_id(), me, out);
    if (g == nullptr) return;
    auto welcome = welcome_for(*g, me);
    if (!welcome) {
        answer_error(client, rid, v1::ERROR_CODE_INTERNAL, "cannot seal the group state to your identity key", out);
        return;
    }
    welcome->set_request_id(rid);
    send(client, *welcome, out);
}

v1::MembershipStatement GmsCore::statement_for(const Group& g, AccountId member, std::uint64_t now_ms) const {
    const Account& a = accounts_.at(member);
    v1::MembershipStatement s;
    s.set_group_id(to_string(g.id));
    s.set_epoch(g.membership_epoch);
    s.set_identity_key(std::string(a.identity_key.begin(), a.identity_key.end()));
    s.set_account(a.name);
    *s.mutable_rights() = to_proto(g.members.at(member).rights);
    const std::uint64_t valid_until = g.members.at(member).valid_until;
    const std::uint64_t expires = now_ms / kMsPerSecond + config_.statement_ttl_seconds;
    // A statement never outlives the membership it states.
    s.set_expires_unix(valid_until != 0 ? std::min(expires, valid_until) : expires);
    s.set_member_since(g.members.at(member).member_since);
    s.set_valid_until(valid_until);
    wire::sign_statement(s, signing_key_);
    return s;
}

void GmsCore::on_list_members(ClientId client, AccountId me, std::uint64_t rid, const v1::ListMembersRequest& q,
                              std::uint64_t now_ms, std::vector<Outgoing>& out) {
    Group* g = require_member(client, rid, q.group_id(), me, out);
    if (g == nullptr) return;
    v1::GmsResponse r;
    r.set_request_id(rid);
    for (const auto& [aid, m] : g->members) *r.mutable_members()->add_members() = statement_for(*g, aid, now_ms);
    send(client, r, out);
}

void GmsCore::on_statement(ClientId client, AccountId me, std::uint64_t rid, const v1::StatementRequest& q,
                           std::uint64_t now_ms, std::vector<Outgoing>& out) {
    Group* g = require_member(client, rid, q.group_id(), me, out);
    if (g == nullptr) return;
    v1::GmsResponse r;
    r.set_request_id(rid);
    *r.mutable_statement() = statement_for(*g, me, now_ms);
    // Who joined since the statement the member held (or since its own join): it presents them
    // to a broker before it publishes under their epoch (docs/mqtt.md "A joiner's first messages").
    const std::uint64_t since = std::max(q.known_epoch(), r.statement().member_since());
    std::vector<std::pair<std::uint64_t, AccountId>> joined;
    for (const auto& [aid, m] : g->members) {
        if (aid != me && m.member_since > since) joined.emplace_back(m.member_since, aid);
    }
    std::sort(joined.begin(), joined.end(), std::greater<>());  // the latest first, if there are too many
    if (joined.size() > kMaxJoinedStatements) joined.resize(kMaxJoinedStatements);
    for (const auto& [epoch, aid] : joined) *r.add_joined() = statement_for(*g, aid, now_ms);
    send(client, r, out);
}

void GmsCore::on_rn1_generation(ClientId client, AccountId me, std::uint64_t rid, const v1::Rn1GenerationClaim& q,
                                std::vector<Outgoing>& out) {
    Group* g = require_member(client, rid, q.group_id(), me, out);
    if (g == nullptr) return;
    v1::GmsResponse r;
    r.set_request_id(rid);
    if (q.generation() != g->rn1_generation + 1) {
        // The loser learns who won, so it takes the winner's RN1 (and only that) when it arrives.
        r.mutable_error()->set_code(v1::ERROR_CODE_CONFLICT);
        r.mutable_error()->set_message("rn1 generation " + std::to_string(q.generation()) +
                                       " refused; the current generation is " + std::to_string(g->rn1_generation));
        if (g->rn1_generation > 0) *r.mutable_rn1_claim() = rn1_claim_of(*g, g->rn1_generation);
        send(client, r, out);
        return;
    }
    g->rn1_generation = q.generation();
    record_rn1_claim(*g, q.generation(), me);
    journal_.group(g->id);
    journal_.rn1_claimed(g->id, q.generation(), me);
    r.set_rn1_generation(g->rn1_generation);
    *r.mutable_rn1_claim() = rn1_claim_of(*g, g->rn1_generation);
    send(client, r, out);
}

v1::Rn1Claim GmsCore::rn1_claim_of(const Group& g, std::uint64_t generation) const {
    v1::Rn1Claim c;
    c.set_generation(generation);
    if (const auto it = g.rn1_claimers.find(generation); it != g.rn1_claimers.end()) {
        const Account& a = accounts_.at(it->second);
        c.set_account(a.name);
        c.set_identity_key(std::string(a.identity_key.begin(), a.identity_key.end()));
    }
    return c;
}

void GmsCore::add_rn1_claims(const Group& g, google::protobuf::RepeatedPtrField<v1::Rn1Claim>& out) const {
    const std::uint64_t oldest = g.rn1_generation >= kRn1ClaimsKept ? g.rn1_generation - kRn1ClaimsKept + 1 : 1;
    for (std::uint64_t generation = oldest; generation <= g.rn1_generation; ++generation) {
        *out.Add() = rn1_claim_of(g, generation);
    }
}

void GmsCore::on_lookup(ClientId client, std::uint64_t rid, const v1::LookupAccount& q, std::vector<Outgoing>& out) {
    const Account* a = find_account(q.account());
    if (a == nullptr) {
        answer_error(client, rid, v1::ERROR_CODE_UNKNOWN_MEMBER, "no account '" + q.account() + "'", out);
        return;
    }
    v1::GmsResponse r;
    r.set_request_id(rid);
    auto* id = r.mutable_identity();
    id->set_account(a->name);
    id->set_identity_key(std::string(a->identity_key.begin(), a->identity_key.end()));
    wire::sign_identity(*id, signing_key_);
    send(client, r, out);
}

// --- keys -------------------------------------------------------------------------------------

const crypto::X25519PublicKey* GmsCore::sealing_key(AccountId member) const {
    // The conversion decompresses a curve point (tens of microseconds); an account's identity
    // key never changes, so each is converted once.
    if (const auto it = sealing_keys_.find(member); it != sealing_keys_.end()) return &it->second;
    const auto x25519 = crypto::x25519_public_from_ed25519(accounts_.at(member).identity_key);
    if (!x25519) return nullptr;
    return &sealing_keys_.emplace(member, *x25519).first->second;
}

std::optional<v1::GmsResponse> GmsCore::welcome_for(const Group& g, AccountId member) const {
    if (!g.keys.member_state_into(member, scratch_)) return std::nullopt;
    const crypto::X25519PublicKey* x25519 = sealing_key(member);
    if (x25519 == nullptr) return std::nullopt;
    auto sealed = crypto::seal_to(*x25519, scratch_.span());
    if (!sealed) return std::nullopt;
    v1::GmsResponse r;
    auto* w = r.mutable_welcome();
    w->set_group_id(to_string(g.id));
    w->set_epoch(g.keys.epoch());
    w->set_sealed_path(std::string(sealed->begin(), sealed->end()));
    w->set_membership_epoch(g.membership_epoch);
    *w->mutable_policy() = to_proto(g.policy);
    *w->mutable_rights() = to_proto(g.members.at(member).rights);
    w->set_rn1_generation(g.rn1_generation);
    w->set_valid_until_unix(g.members.at(member).valid_until);
    add_rn1_claims(g, *w->mutable_rn1_claims());
    // Only epochs this member was a member at (it joined at or before them).
    g.keys.recent_rn2s_into(g.members.at(member).joined_epoch, scratch_);
    if (!scratch_.empty()) {
        auto recent = crypto::seal_to(*x25519, scratch_.span());
        if (!recent) return std::nullopt;
        w->set_sealed_recent(std::string(recent->begin(), recent->end()));
    }
    return r;
}

void GmsCore::schedule_renewal(const Group& g, std::uint64_t now_ms) {
    const std::uint64_t due = now_ms + std::uint64_t{g.policy.rn2_interval_seconds} * kMsPerSecond;
    renewal_due_[g.id] = due;
    renewals_.emplace(due, g.id);
}

void GmsCore::renew(Group& g, std::uint64_t now_ms, std::vector<Outgoing>& out) {
    const GroupKeys::Rekey rekey = g.keys.renew();
    journal_.group(g.id);
    schedule_renewal(g, now_ms);
    v1::Rekey r;
    r.set_group_id(to_string(g.id));
    r.set_epoch(rekey.epoch);
    r.set_lkh_message(std::string(rekey.message.begin(), rekey.message.end()));
    r.set_membership_epoch(g.membership_epoch);
    const auto payload = signed_push(std::move(r));
    for (const auto& [aid, m] : g.members) send_to_account(aid, payload, out);
}

void GmsCore::apply_pending(Group& g, PendingGroup& pending, std::uint64_t now_ms, std::vector<Outgoing>& out) {
    std::vector<GroupKeys::MemberId> joins;
    std::vector<GroupKeys::MemberId> removes;
    v1::Rekey rekey_content;
    auto* rekey_msg = &rekey_content;
    // A member added and removed in the same batch never enters the tree.
    std::map<AccountId, int> net;  // +1 joined, -1 removed (relative to the committed group)
    for (const PendingChange& c : pending.changes) {
        const bool add = c.change == v1::MemberNotification::CHANGE_ADD;
        net[c.target] += add ? 1 : -1;
        auto* e = rekey_msg->add_events();
        const Account& a = accounts_.at(c.target);
        e->set_account(a.name);
        e->set_change(c.change);
        e->set_identity_key(std::string(a.identity_key.begin(), a.identity_key.end()));
        if (add) *e->mutable_rights() = to_proto(c.rights);
    }
    for (const auto& [aid, delta] : net) {
        if (delta > 0) joins.push_back(aid);
        if (delta < 0) removes.push_back(aid);
    }
    std::map<AccountId, std::uint64_t> granted_validity;  // the last add's, per joiner
    std::map<AccountId, std::uint64_t> expired_at;        // removals the expiry schedule made
    for (const PendingChange& c : pending.changes) {
        if (c.change == v1::MemberNotification::CHANGE_ADD) granted_validity[c.target] = c.valid_until;
        if (c.expired) expired_at[c.target] = c.valid_until;
    }
    for (AccountId aid : removes) {
        g.members.erase(aid);
        expiries_.forget(g.id, aid);
        journal_.removed(g.id, aid);
    }
    for (AccountId aid : joins) {
        Membership m{pending.effective.at(aid), 0};
        m.valid_until = granted_validity[aid];
        g.members.emplace(aid, m);
        expiries_.set(g.id, aid, m.valid_until);
        journal_.membership(g.id, aid);
    }
    // A member removed and added back in this batch stays in the tree, but with the rights of
    // the re-add, which is what the members' rosters apply from the events.
    for (const auto& [aid, delta] : net) {
        const auto member = g.members.find(aid);
        if (delta != 0 || member == g.members.end()) continue;
        if (const Rights& granted = pending.effective.at(aid); !(member->second.rights == granted)) {
            member->second.rights = granted;
            journal_.membership(g.id, aid);
        }
        if (const auto v = granted_validity.find(aid); v != granted_validity.end()) {
            member->second.valid_until = v->second;  // the re-add's validity
            expiries_.set(g.id, aid, v->second);
            journal_.membership(g.id, aid);
        }
    }
    ++g.membership_epoch;
    for (AccountId aid : joins) g.members.at(aid).member_since = g.membership_epoch;

    // Removed members hear that their access ended; requesters get the committed epoch.
    v1::GmsResponse removed;
    removed.mutable_removed()->set_group_id(to_string(g.id));
    removed.mutable_removed()->set_membership_epoch(g.membership_epoch);
    const auto removed_payload = encode(removed);
    for (AccountId aid : removes) {
        if (const auto e = expired_at.find(aid); e != expired_at.end()) {
            v1::GmsResponse expired = removed;
            expired.mutable_removed()->set_expired_at_unix(e->second);
            send_to_account(aid, encode(expired), out);
        } else {
            send_to_account(aid, removed_payload, out);
        }
    }
    for (const PendingChange& c : pending.changes) {
        if (c.expired) continue;  // nobody asked
        v1::GmsResponse r;
        r.set_request_id(c.request_id);
        r.set_epoch(g.membership_epoch);
        send(c.requester, r, out);
    }

    if (g.members.empty()) {  // the last member left: the group ends
        journal_.deleted(g.id);
        renewal_due_.erase(g.id);
        expiries_.forget_group(g.id);
        groups_.erase(g.id);
        return;
    }

    const GroupKeys::Rekey rekey = g.keys.change(joins, removes);
    // A joiner is a member from the epoch its join produces: no recent RN2 from before it.
    for (AccountId aid : joins) g.members.at(aid).joined_epoch = rekey.epoch;
    journal_.group(g.id);
    schedule_renewal(g, now_ms);
    rekey_msg->set_group_id(to_string(g.id));
    rekey_msg->set_epoch(rekey.epoch);
    rekey_msg->set_lkh_message(std::string(rekey.message.begin(), rekey.message.end()));
    rekey_msg->set_membership_epoch(g.membership_epoch);
    const auto payload = signed_push(std::move(rekey_content));
    for (const auto& [aid, m] : g.members) {
        if (std::find(joins.begin(), joins.end(), aid) == joins.end()) send_to_account(aid, payload, out);
    }
    for (AccountId aid : joins) {
        if (auto welcome = welcome_for(g, aid)) send_to_account(aid, encode(*welcome), out);
    }
}

void GmsCore::end_batch(std::uint64_t now_ms, std::vector<Outgoing>& out) {
    queue_expiries(now_ms);
    for (auto& [id, pending] : pending_) {
        if (auto it = groups_.find(id); it != groups_.end()) apply_pending(it->second, pending, now_ms, out);
    }
    pending_.clear();
    while (!renewals_.empty() && renewals_.begin()->first <= now_ms) {
        const auto [due, id] = *renewals_.begin();
        renewals_.erase(renewals_.begin());
        const auto live = renewal_due_.find(id);
        if (live == renewal_due_.end() || live->second != due) continue;  // superseded by a later schedule
        if (auto it = groups_.find(id); it != groups_.end()) renew(it->second, now_ms, out);
    }
}

}  // namespace twofold::gms
