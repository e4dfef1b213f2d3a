// An MQTT broker with twofold-mosquitto-auth.so as the member's transport (docs/mqtt.md).
//
// Two MQTT sessions, both logged in as the identity key (a token, mqtt_auth/token.h):
//   - the receiving one, client id = the key in hex, persistent (no clean start, the relay's
//     retention as session expiry), subscribed at QoS 1 to the member's mailbox and groups. Its
//     PUBACKs leave only after the handler committed the envelope (mqtt_client/session.h).
//   - the sending one, client id = key hex + "-s" + random, clean start: statements, group
//     publications and mailbox sends. Kept apart so that sending from inside a handler (an RN1
//     delivery while an acceptance is processed) never writes the receiving session's PUBACKs early.
// A publication is relay.proto's Envelope as twofold-relay would deliver it, without the id the
// relay assigns: the receiver derives the id from the bytes (envelope_id()), so a redelivery or a
// replayed copy has the id of the original.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "member_client/transport.h"
#include "mqtt_client/session.h"

namespace twofold::member_client {

// What a broker keeps for an absent member: twofold-relay's default retention (--ttl, 7 days).
inline constexpr std::uint32_t kMqttSessionExpirySeconds = 7 * 24 * 3600;
inline constexpr std::uint64_t kMqttTokenLifetimeSeconds = 300;

struct MqttOptions {
    std::string host;
    std::uint16_t port = 8883;
    std::string fingerprint;
    std::string broker_name;  // what the login tokens name (plugin_opt_broker_name)
    std::chrono::milliseconds timeout{10'000};
    std::uint32_t session_expiry_seconds = kMqttSessionExpirySeconds;
};

// The id a receiver gives a publication: the first 8 bytes of its SHA-256, big-endian (never 0).
std::uint64_t envelope_id(ByteView publication);
// The publication bytes of an envelope (its id is not sent).
std::string publication_bytes(const v1::Envelope& envelope);

class MqttTransport final : public Transport {
  public:
    // Connects the sending session; the receiving one connects at the first receive/subscribe.
    static Result<std::unique_ptr<MqttTransport>> connect(const MqttOptions& options, const crypto::SigningKey& identity);

    Result<std::uint64_t> subscribe(ByteView group_id, const v1::MembershipStatement& statement) override;
    Result<std::uint64_t> publish(ByteView group_id, const v1::MembershipStatement& statement, v1::EnvelopeType type,
                                  ByteView payload) override;
    Result<std::uint64_t> send(ByteView recipient_key, v1::EnvelopeType type, ByteView payload) override;
    Status receive(std::chrono::milliseconds timeout) override;
    bool ids_increase() const override { return false; }

    // Pipelined group publications (the benchmark): see mqtt::Session::publish_window.
    Status publish_window(ByteView group_id, const v1::MembershipStatement& statement, v1::EnvelopeType type,
                          ByteView payload, std::size_t window);
    Status wait_published() { return sender_->wait_published(); }

    // Makes the receiving session (and its mailbox subscription) exist at the broker: what is
    // published to a mailbox with no session is dropped, so `init` does this once, before the
    // member's key is known to anyone.
    Status open_mailbox();

    // Joiners first, then the member's own: each shown once per epoch on this connection.
    Status present(ByteView group_id, const v1::MembershipStatement& own, const Statements& joined) override;

  private:
    MqttTransport(MqttOptions options, const crypto::SigningKey& identity) : options_(std::move(options)), identity_(identity) {}
    mqtt::SessionOptions session_options(std::string client_id, bool persistent) const;
    Result<mqtt::Session*> receiver();
    Status present(const std::string& group_id, const v1::MembershipStatement& statement);
    Result<v1::Envelope> envelope_of(const mqtt::Publication& publication) const;
    Result<std::uint64_t> put(const std::string& topic, const v1::Envelope& envelope);

    MqttOptions options_;
    const crypto::SigningKey& identity_;
    std::string key_;  // raw public key
    std::unique_ptr<mqtt::Session> sender_;
    std::unique_ptr<mqtt::Session> receiver_;
    std::map<std::string, std::uint64_t> presented_;  // group id -> epoch shown on this connection
    std::map<std::pair<std::string, std::string>, std::uint64_t> joiners_shown_;  // (group, key) -> epoch
};

}  // namespace twofold::member_client
