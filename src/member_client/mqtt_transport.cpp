#include "member_client/mqtt_transport.h"

#include "crypto/hex.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "mqtt_auth/token.h"
#include "mqtt_auth/topics.h"
#include "wire/message.h"

namespace twofold::member_client {

namespace {

std::uint64_t unix_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

std::uint64_t envelope_id(ByteView publication) {
    const auto digest = crypto::sha256(publication);
    std::uint64_t id = 0;
    for (std::size_t i = 0; i < 8; ++i) id = (id << 8) | digest[i];
    return id == 0 ? 1 : id;
}

std::string publication_bytes(const v1::Envelope& envelope) {
    v1::Envelope sent = envelope;
    sent.clear_id();
    return sent.SerializeAsString();
}

Result<std::unique_ptr<MqttTransport>> MqttTransport::connect(const MqttOptions& options,
                                                              const crypto::SigningKey& identity) {
    std::unique_ptr<MqttTransport> t(new MqttTransport(options, identity));
    const auto& pk = identity.public_key();
    t->key_.assign(pk.begin(), pk.end());
    const auto suffix = crypto::random_array<4>();
    auto sender = mqtt::Session::connect(t->session_options(crypto::to_hex(pk) + "-s" + crypto::to_hex(suffix), false));
    if (!sender) return sender.error();
    t->sender_ = std::move(*sender);
    return t;
}

mqtt::SessionOptions MqttTransport::session_options(std::string client_id, bool persistent) const {
    mqtt::SessionOptions o;
    o.host = options_.host;
    o.port = options_.port;
    o.fingerprint = options_.fingerprint;
    o.client_id = std::move(client_id);
    o.username = crypto::to_hex(identity_.public_key());
    o.password = mqtt_auth::make_token(identity_, options_.broker_name, unix_now(), kMqttTokenLifetimeSeconds);
    o.persistent = persistent;
    o.session_expiry_seconds = persistent ? options_.session_expiry_seconds : 0;
    o.timeout = options_.timeout;
    return o;
}

Result<mqtt::Session*> MqttTransport::receiver() {
    if (receiver_ && receiver_->connected()) return receiver_.get();
    if (receiver_) return make_error(Errc::unavailable, "the connection to the MQTT broker was lost");
    // What the broker queued while this member was away arrives right after the login: the
    // handler must be in place before.
    auto session = mqtt::Session::connect(session_options(crypto::to_hex(identity_.public_key()), true),
                                          [this](const mqtt::Publication& p) { return handler_(envelope_of(p)); });
    if (!session) return session.error();
    if (auto s = (*session)->subscribe(mqtt_auth::mailbox_topic(key_)); !s) return s.error();
    receiver_ = std::move(*session);
    return receiver_.get();
}

// A delivery is an envelope for the topic it came on, or a refusal naming what it is not.
Result<v1::Envelope> MqttTransport::envelope_of(const mqtt::Publication& p) const {
    const mqtt_auth::Topic topic = mqtt_auth::classify_topic(p.topic);
    auto envelope = wire::parse_message<v1::Envelope>(as_bytes(p.payload));
    if (!envelope) {
        return make_error(Errc::malformed, "publication of " + std::to_string(p.payload.size()) + " bytes on " + p.topic +
                                               " is not an envelope");
    }
    if (topic.kind == mqtt_auth::TopicKind::group) {
        if (envelope->group_id() != topic.id || !envelope->recipient_key().empty()) {
            return make_error(Errc::malformed, "envelope on " + p.topic + " names another group");
        }
    } else if (topic.kind == mqtt_auth::TopicKind::mailbox) {
        if (topic.id != key_ || envelope->recipient_key() != key_ || !envelope->group_id().empty()) {
            return make_error(Errc::malformed, "envelope on " + p.topic + " is not for this member's mailbox");
        }
    } else {
        return make_error(Errc::malformed, "publication on " + p.topic + ", which is no twofold topic");
    }
    if (envelope->sender_key().size() != crypto::kSignPublicKeyBytes) {
        return make_error(Errc::malformed, "envelope on " + p.topic + " names no sender key");
    }
    envelope->set_id(envelope_id(as_bytes(p.payload)));
    return envelope;
}

Status MqttTransport::present(const std::string& group_id, const v1::MembershipStatement& statement) {
    auto shown = presented_.find(group_id);
    if (shown != presented_.end() && shown->second == statement.epoch()) return {};
    const std::string bytes = statement.SerializeAsString();
    // The plugin records it and denies the publication (it goes nowhere): "not authorized" is
    // the normal answer. Whether it was accepted shows in the next subscription or publication.
    Status s = sender_->publish(mqtt_auth::statement_topic(group_id), as_bytes(bytes));
    if (!s && s.error().code != Errc::forbidden) return s;
    presented_[group_id] = statement.epoch();
    return {};
}

Status MqttTransport::present(ByteView group_id, const v1::MembershipStatement& own, const Statements& joined) {
    const std::string gid = as_string(group_id);
    for (const auto& j : joined) {
        auto& shown = joiners_shown_[{gid, j.identity_key()}];
        if (shown == j.epoch()) continue;
        const std::string bytes = j.SerializeAsString();
        // As for the member's own: "not authorized" is the normal answer (a statement goes
        // nowhere); one the plugin refuses (expired meanwhile) costs the joiner nothing more.
        Status s = sender_->publish(mqtt_auth::statement_topic(gid), as_bytes(bytes));
        if (!s && s.error().code != Errc::forbidden) return s;
        shown = j.epoch();
    }
    return present(gid, own);
}

Result<std::uint64_t> MqttTransport::subscribe(ByteView group_id, const v1::MembershipStatement& statement) {
    const std::string gid = as_string(group_id);
    if (auto s = present(gid, statement); !s) return s.error();
    auto r = receiver();
    if (!r) return r.error();
    if (auto s = (*r)->subscribe(mqtt_auth::group_topic(gid)); !s) {
        presented_.erase(gid);
        return make_error(s.error().code, s.error().message + " (membership statement of epoch " +
                                              std::to_string(statement.epoch()) + " not accepted)");
    }
    return statement.epoch();
}

Result<std::uint64_t> MqttTransport::put(const std::string& topic, const v1::Envelope& envelope) {
    const std::string bytes = publication_bytes(envelope);
    if (auto s = sender_->publish(topic, as_bytes(bytes)); !s) return s.error();
    return envelope_id(as_bytes(bytes));
}

Result<std::uint64_t> MqttTransport::publish(ByteView group_id, const v1::MembershipStatement& statement,
                                             v1::EnvelopeType type, ByteView payload) {
    const std::string gid = as_string(group_id);
    if (auto s = present(gid, statement); !s) return s.error();
    v1::Envelope e;
    e.set_type(type);
    e.set_sender_key(key_);
    e.set_group_id(gid);
    e.set_payload(payload.data(), payload.size());
    auto id = put(mqtt_auth::group_topic(gid), e);
    if (!id && id.error().code == Errc::forbidden) {
        // The broker says no more than "not authorized": most often a superseded or expired
        // statement, which the member replaces once (as for the relay's stale_epoch).
        presented_.erase(gid);
        return make_error(Errc::stale_epoch, id.error().message + " (membership statement of epoch " +
                                                 std::to_string(statement.epoch()) + " not accepted)");
    }
    return id;
}

Status MqttTransport::publish_window(ByteView group_id, const v1::MembershipStatement& statement,
                                     v1::EnvelopeType type, ByteView payload, std::size_t window) {
    const std::string gid = as_string(group_id);
    if (auto s = present(gid, statement); !s) return s;
    v1::Envelope e;
    e.set_type(type);
    e.set_sender_key(key_);
    e.set_group_id(gid);
    e.set_payload(payload.data(), payload.size());
    const std::string bytes = publication_bytes(e);
    return sender_->publish_window(mqtt_auth::group_topic(gid), as_bytes(bytes), window);
}

Result<std::uint64_t> MqttTransport::send(ByteView recipient_key, v1::EnvelopeType type, ByteView payload) {
    if (recipient_key.size() != crypto::kSignPublicKeyBytes) {
        return make_error(Errc::invalid_argument, "a mailbox is named by a 32-byte identity key");
    }
    v1::Envelope e;
    e.set_type(type);
    e.set_sender_key(key_);
    e.set_recipient_key(recipient_key.data(), recipient_key.size());
    e.set_payload(payload.data(), payload.size());
    return put(mqtt_auth::mailbox_topic(as_string(recipient_key)), e);
}

Status MqttTransport::open_mailbox() {
    auto r = receiver();
    if (!r) return r.error();
    return {};
}

Status MqttTransport::receive(std::chrono::milliseconds timeout) {
    auto r = receiver();
    if (!r) return r.error();
    return (*r)->receive(timeout);
}

}  // namespace twofold::member_client
