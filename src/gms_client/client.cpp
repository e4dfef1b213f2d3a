#include "gms_client/client.h"

#include "wire/error_code.h"
#include "wire/message.h"

namespace twofold::gms {

Result<std::unique_ptr<GmsClient>> GmsClient::connect(const net::Endpoint& server, const std::string& fingerprint,
                                                      net::ClientOptions options) {
    auto conn = net::TlsClient::connect(server, fingerprint, options);
    if (!conn) return conn.error();
    return std::unique_ptr<GmsClient>(new GmsClient(std::move(*conn)));
}

Result<v1::GmsResponse> GmsClient::receive(std::chrono::milliseconds timeout) {
    auto frame = conn_->receive(timeout);
    if (!frame) return frame.error();
    return wire::parse_message<v1::GmsResponse>(*frame);
}

Result<v1::GmsResponse> GmsClient::call(v1::GmsRequest request) {
    auto r = exchange(std::move(request));
    if (r && r->has_error()) return make_error(wire::from_wire(r->error().code()), "GMS: " + r->error().message());
    return r;
}

Result<v1::GmsResponse> GmsClient::exchange(v1::GmsRequest request) {
    const std::uint64_t id = next_request_id_++;
    request.set_request_id(id);
    const std::string bytes = request.SerializeAsString();
    if (auto s = conn_->send(as_bytes(bytes)); !s) return s.error();
    for (;;) {
        auto r = receive(timeout_);
        if (!r) return r.error();
        if (r->request_id() == 0 && !r->has_error()) {
            pushes_.push_back(std::move(*r));
            continue;
        }
        if (r->request_id() != id && r->request_id() != 0) continue;  // a late answer to an abandoned call
        not_leader_.reset();
        if (r->has_error() && r->error().code() == v1::ERROR_CODE_NOT_LEADER) not_leader_ = r->leader();
        return std::move(*r);
    }
}

Result<v1::GmsResponse> GmsClient::next_push(std::chrono::milliseconds timeout) {
    if (!pushes_.empty()) {
        v1::GmsResponse r = std::move(pushes_.front());
        pushes_.pop_front();
        return r;
    }
    for (;;) {
        auto r = receive(timeout);
        if (!r) return r.error();
        if (r->request_id() == 0) return r;
    }
}

namespace {

template <class Get>
auto expect(Result<v1::GmsResponse> r, bool (v1::GmsResponse::*has)() const, Get get, const char* what)
    -> Result<std::decay_t<decltype(get(std::declval<v1::GmsResponse&>()))>> {
    if (!r) return r.error();
    if (!((*r).*has)()) return make_error(Errc::malformed, std::string("GMS answered without ") + what);
    return get(*r);
}

}  // namespace

Status GmsClient::register_account(const std::string& account, const std::string& password,
                                   const crypto::SignPublicKey& identity_key) {
    v1::GmsRequest req;
    auto* r = req.mutable_register_();
    r->set_account(account);
    r->set_password(password);
    r->set_identity_key(as_string(identity_key));
    auto answer = call(std::move(req));
    if (!answer) return answer.error();
    return {};
}

Result<v1::LoginResponse> GmsClient::login(const std::string& account, const std::string& password) {
    v1::GmsRequest req;
    req.mutable_login()->set_account(account);
    req.mutable_login()->set_password(password);
    return expect(
        call(std::move(req)), &v1::GmsResponse::has_login, [](auto& r) { return r.login(); }, "a login");
}

Result<v1::GroupStatus> GmsClient::create_group(ByteView group_id, const v1::GroupPolicy& policy) {
    v1::GmsRequest req;
    req.mutable_create_group()->set_group_id(as_string(group_id));
    *req.mutable_create_group()->mutable_policy() = policy;
    return expect(
        call(std::move(req)), &v1::GmsResponse::has_group, [](auto& r) { return r.group(); }, "a group");
}

namespace {
v1::GmsRequest notification(ByteView group_id, v1::MemberNotification::Change change, const std::string& account) {
    v1::GmsRequest req;
    auto* n = req.mutable_member_notification();
    n->set_group_id(as_string(group_id));
    n->set_change(change);
    n->set_account(account);
    return req;
}
auto epoch_of = [](auto& r) { return r.epoch(); };
}  // namespace

Result<std::uint64_t> GmsClient::add_member(ByteView group_id, const std::string& account, bool may_invite,
                                            bool may_remove, std::uint64_t valid_until_unix) {
    v1::GmsRequest req = notification(group_id, v1::MemberNotification::CHANGE_ADD, account);
    req.mutable_member_notification()->set_valid_until_unix(valid_until_unix);
    req.mutable_member_notification()->mutable_rights()->set_may_invite(may_invite);
    req.mutable_member_notification()->mutable_rights()->set_may_remove(may_remove);
    return expect(call(std::move(req)), &v1::GmsResponse::has_epoch, epoch_of, "an epoch");
}

Result<std::uint64_t> GmsClient::extend_validity(ByteView group_id, const std::string& account,
                                                 std::uint64_t valid_until_unix) {
    v1::GmsRequest req;
    auto* e = req.mutable_extend_validity();
    e->set_group_id(as_string(group_id));
    e->set_account(account);
    e->set_valid_until_unix(valid_until_unix);
    return expect(call(std::move(req)), &v1::GmsResponse::has_valid_until_unix,
                  [](auto& r) { return r.valid_until_unix(); }, "a validity");
}

Result<std::uint64_t> GmsClient::remove_member(ByteView group_id, const std::string& account) {
    return expect(call(notification(group_id, v1::MemberNotification::CHANGE_REMOVE, account)),
                  &v1::GmsResponse::has_epoch, epoch_of, "an epoch");
}

Result<std::uint64_t> GmsClient::leave(ByteView group_id) {
    return expect(call(notification(group_id, v1::MemberNotification::CHANGE_LEAVE, "self")),
                  &v1::GmsResponse::has_epoch, epoch_of, "an epoch");
}

Result<std::uint64_t> GmsClient::acknowledge(ByteView group_id, std::uint64_t epoch) {
    v1::GmsRequest req;
    req.mutable_rekey_ack()->set_group_id(as_string(group_id));
    req.mutable_rekey_ack()->set_epoch(epoch);
    return expect(call(std::move(req)), &v1::GmsResponse::has_epoch, epoch_of, "an epoch");
}

Status GmsClient::acknowledge_async(ByteView group_id, std::uint64_t epoch) {
    v1::GmsRequest req;  // request id 0: fire and forget
    req.mutable_rekey_ack()->set_group_id(as_string(group_id));
    req.mutable_rekey_ack()->set_epoch(epoch);
    const std::string bytes = req.SerializeAsString();
    return conn_->send(as_bytes(bytes));
}

Result<v1::Welcome> GmsClient::inquire(ByteView group_id, std::uint64_t known_epoch) {
    v1::GmsRequest req;
    req.mutable_rn2_inquiry()->set_group_id(as_string(group_id));
    req.mutable_rn2_inquiry()->set_known_epoch(known_epoch);
    return expect(
        call(std::move(req)), &v1::GmsResponse::has_welcome, [](auto& r) { return r.welcome(); }, "the group state");
}

Result<std::vector<v1::MembershipStatement>> GmsClient::list_members(ByteView group_id) {
    v1::GmsRequest req;
    req.mutable_list_members()->set_group_id(as_string(group_id));
    auto r = expect(
        call(std::move(req)), &v1::GmsResponse::has_members, [](auto& x) { return x.members(); }, "a member list");
    if (!r) return r.error();
    return std::vector<v1::MembershipStatement>(r->members().begin(), r->members().end());
}

Result<v1::MembershipStatement> GmsClient::statement(ByteView group_id) {
    v1::GmsRequest req;
    req.mutable_statement()->set_group_id(as_string(group_id));
    return expect(
        call(std::move(req)), &v1::GmsResponse::has_statement, [](auto& r) { return r.statement(); }, "a statement");
}

Result<GmsClient::StatementWithJoiners> GmsClient::statement_since(ByteView group_id, std::uint64_t known_epoch) {
    v1::GmsRequest req;
    req.mutable_statement()->set_group_id(as_string(group_id));
    req.mutable_statement()->set_known_epoch(known_epoch);
    return expect(
        call(std::move(req)), &v1::GmsResponse::has_statement,
        [](auto& r) {
            return StatementWithJoiners{r.statement(), {r.joined().begin(), r.joined().end()}};
        },
        "a statement");
}

Result<Rn1ClaimAnswer> GmsClient::claim_rn1_generation(ByteView group_id, std::uint64_t generation) {
    v1::GmsRequest req;
    req.mutable_rn1_generation()->set_group_id(as_string(group_id));
    req.mutable_rn1_generation()->set_generation(generation);
    auto r = exchange(std::move(req));
    if (!r) return r.error();
    if (r->has_error() && r->error().code() == v1::ERROR_CODE_CONFLICT) return Rn1ClaimAnswer{false, r->rn1_claim()};
    if (r->has_error()) return make_error(wire::from_wire(r->error().code()), "GMS: " + r->error().message());
    if (!r->has_rn1_generation() || r->rn1_generation() != generation) {
        return make_error(Errc::malformed, "GMS answered a claim of RN1 generation " + std::to_string(generation) +
                                               " without that generation");
    }
    Rn1ClaimAnswer answer{true, r->rn1_claim()};
    answer.current.set_generation(generation);
    return answer;
}

Result<v1::IdentityStatement> GmsClient::lookup(const std::string& account) {
    v1::GmsRequest req;
    req.mutable_lookup_account()->set_account(account);
    return expect(
        call(std::move(req)), &v1::GmsResponse::has_identity, [](auto& r) { return r.identity(); },
        "an identity statement");
}

}  // namespace twofold::gms
