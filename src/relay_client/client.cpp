#include "relay_client/client.h"

#include "net/tls_identity.h"
#include "relay/auth.h"
#include "wire/error_code.h"
#include "wire/message.h"

namespace twofold::relay {

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds remaining(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return std::max(left, std::chrono::milliseconds(1));
}

}  // namespace

Error relay_error(const v1::Error& error) {
    return make_error(wire::from_wire(error.code()), v1::ErrorCode_Name(error.code()) + ": " + error.message());
}

RelayClient::RelayClient(std::unique_ptr<net::TlsClient> tls, std::string fingerprint, std::chrono::milliseconds timeout)
    : tls_(std::move(tls)), fingerprint_(std::move(fingerprint)), timeout_(timeout) {}

Result<std::unique_ptr<RelayClient>> RelayClient::connect_unauthenticated(const net::Endpoint& relay,
                                                                          const std::string& fingerprint,
                                                                          std::chrono::milliseconds timeout) {
    auto canonical = net::normalise_fingerprint(fingerprint, "relay fingerprint");
    if (!canonical) return canonical.error();
    net::ClientOptions options;
    options.connect_timeout = timeout;
    auto tls = net::TlsClient::connect(relay, *canonical, options);
    if (!tls) return tls.error();
    std::unique_ptr<RelayClient> client(new RelayClient(std::move(*tls), *canonical, timeout));
    auto first = client->read_one(timeout);
    if (!first) return first.error();
    if (!first->has_challenge() || first->challenge().challenge().size() != kChallengeBytes) {
        return make_error(Errc::malformed, "the relay did not open with a 32-byte auth challenge");
    }
    client->challenge_ = first->challenge().challenge();
    return client;
}

Result<std::unique_ptr<RelayClient>> RelayClient::connect(const net::Endpoint& relay, const std::string& fingerprint,
                                                          const crypto::SigningKey& identity,
                                                          std::chrono::milliseconds timeout) {
    auto client = connect_unauthenticated(relay, fingerprint, timeout);
    if (!client) return client.error();
    if (auto s = (*client)->authenticate(identity); !s) return s.error();
    return std::move(*client);
}

Status RelayClient::authenticate(const crypto::SigningKey& identity) {
    v1::RelayRequest r;
    auto* auth = r.mutable_auth();
    const auto& pk = identity.public_key();
    auth->set_identity_key(pk.data(), pk.size());
    const auto sig = sign_auth(identity, as_bytes(challenge_), fingerprint_);
    auth->set_signature(sig.data(), sig.size());
    auto answer = request(std::move(r));
    if (!answer) return answer.error();
    return {};
}

Result<std::uint64_t> RelayClient::send_request(v1::RelayRequest request) {
    const std::uint64_t id = next_request_id_++;
    request.set_request_id(id);
    const std::string bytes = request.SerializeAsString();
    if (auto s = tls_->send(as_bytes(bytes)); !s) return s.error();
    return id;
}

Result<v1::RelayResponse> RelayClient::read_one(std::chrono::milliseconds timeout) {
    auto frame = tls_->receive(timeout);
    if (!frame) return frame.error();
    return wire::parse_message<v1::RelayResponse>(*frame);
}

Result<v1::RelayResponse> RelayClient::wait_answer(std::uint64_t request_id, std::chrono::milliseconds timeout) {
    for (auto it = answers_.begin(); it != answers_.end(); ++it) {
        if (it->request_id() == request_id) {
            v1::RelayResponse r = std::move(*it);
            answers_.erase(it);
            if (r.has_error()) return relay_error(r.error());
            return r;
        }
    }
    const auto deadline = Clock::now() + timeout;
    while (true) {
        auto r = read_one(remaining(deadline));
        if (!r) return r.error();
        if (r->has_envelope()) {
            inbox_.push_back(std::move(*r->mutable_envelope()));
            continue;
        }
        if (r->request_id() == 0 && r->has_error()) return relay_error(r->error());  // about the stream itself
        if (r->request_id() != request_id) {
            answers_.push_back(std::move(*r));
            continue;
        }
        if (r->has_error()) return relay_error(r->error());
        return std::move(*r);
    }
}

Result<v1::RelayResponse> RelayClient::request(v1::RelayRequest request) {
    auto id = send_request(std::move(request));
    if (!id) return id.error();
    return wait_answer(*id, timeout_);
}

Result<std::uint64_t> RelayClient::subscribe(ByteView group_id, const v1::MembershipStatement& statement) {
    v1::RelayRequest r;
    r.mutable_subscribe()->set_group_id(group_id.data(), group_id.size());
    *r.mutable_subscribe()->mutable_statement() = statement;
    auto answer = request(std::move(r));
    if (!answer) return answer.error();
    if (!answer->has_ok()) return make_error(Errc::malformed, "the relay answered a subscribe with something else");
    return answer->ok().epoch();
}

Result<std::uint64_t> RelayClient::publish(ByteView group_id, const v1::MembershipStatement& statement,
                                           v1::EnvelopeType type, ByteView payload) {
    v1::RelayRequest r;
    auto* env = r.mutable_publish()->mutable_envelope();
    env->set_type(type);
    env->set_group_id(group_id.data(), group_id.size());
    env->set_payload(payload.data(), payload.size());
    *r.mutable_publish()->mutable_statement() = statement;
    auto answer = request(std::move(r));
    if (!answer) return answer.error();
    if (answer->body_case() != v1::RelayResponse::kAcceptedId) {
        return make_error(Errc::malformed, "the relay answered a publish with something else");
    }
    return answer->accepted_id();
}

Result<std::uint64_t> RelayClient::send(ByteView recipient_key, v1::EnvelopeType type, ByteView payload) {
    v1::RelayRequest r;
    auto* env = r.mutable_send()->mutable_envelope();
    env->set_type(type);
    env->set_recipient_key(recipient_key.data(), recipient_key.size());
    env->set_payload(payload.data(), payload.size());
    auto answer = request(std::move(r));
    if (!answer) return answer.error();
    if (answer->body_case() != v1::RelayResponse::kAcceptedId) {
        return make_error(Errc::malformed, "the relay answered a send with something else");
    }
    return answer->accepted_id();
}

Result<v1::Envelope> RelayClient::receive(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (inbox_.empty()) {
        auto r = read_one(remaining(deadline));
        if (!r) return r.error();
        if (r->has_envelope()) {
            inbox_.push_back(std::move(*r->mutable_envelope()));
        } else if (r->request_id() == 0 && r->has_error()) {
            return relay_error(r->error());
        } else {
            answers_.push_back(std::move(*r));
        }
    }
    v1::Envelope e = std::move(inbox_.front());
    inbox_.pop_front();
    return e;
}

Status RelayClient::ack(std::span<const std::uint64_t> ids) {
    v1::RelayRequest r;
    for (const std::uint64_t id : ids) r.mutable_ack()->add_ids(id);
    auto sent = send_request(std::move(r));
    if (!sent) return sent.error();
    return {};
}

}  // namespace twofold::relay
