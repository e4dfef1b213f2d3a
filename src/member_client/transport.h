// The member's one way to the store-and-forward server, whichever it is: twofold-relay
// (relay_transport.cpp) or an MQTT broker with twofold-mosquitto-auth.so (mqtt_transport.cpp).
// Both carry the same envelopes (relay.proto's Envelope) and the same guarantee: an envelope is
// acknowledged only after the handler has committed it to the member's store.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/result.h"
#include "crypto/sign.h"
#include "twofold/v1/local.pb.h"
#include "twofold/v1/relay.pb.h"

namespace twofold::member_client {

// Processes one envelope and commits what it changed. An error leaves the envelope
// unacknowledged (the server delivers it again). `envelope` is an error for a delivery that is not
// an envelope at all (only a broker can carry one): the handler records the refusal and commits.
using EnvelopeHandler = std::function<Status(const Result<v1::Envelope>& envelope)>;

class Transport {
  public:
    virtual ~Transport() = default;

    // Shows the server the statements it decides by, before this connection's other requests: the
    // member's own and those of the members who joined since its previous one. A broker decides
    // at login what it hands over from what was shown before, and queues for a joiner only once it
    // knows it (docs/mqtt.md); twofold-relay takes the member's statement with each request, and
    // the default does nothing.
    using Statements = google::protobuf::RepeatedPtrField<v1::MembershipStatement>;
    virtual Status present(ByteView /*group_id*/, const v1::MembershipStatement& /*own*/, const Statements& /*joined*/) {
        return {};
    }
    // Presents the statement and subscribes to the group; returns the epoch accepted.
    virtual Result<std::uint64_t> subscribe(ByteView group_id, const v1::MembershipStatement& statement) = 0;
    // Returns the envelope's id once the server holds it.
    virtual Result<std::uint64_t> publish(ByteView group_id, const v1::MembershipStatement& statement,
                                          v1::EnvelopeType type, ByteView payload) = 0;
    virtual Result<std::uint64_t> send(ByteView recipient_key, v1::EnvelopeType type, ByteView payload) = 0;
    // Waits up to `timeout` and hands what arrives to the handler, acknowledging each after the
    // handler returned. timeout when nothing arrived; the handler's error as it was.
    virtual Status receive(std::chrono::milliseconds timeout) = 0;

    // The handler for every delivery; returns the previous one (to restore it).
    EnvelopeHandler set_handler(EnvelopeHandler handler) {
        std::swap(handler_, handler);
        return handler;
    }
    // twofold-relay numbers each recipient's envelopes upwards, so "at most the last id" finds a
    // redelivery; a broker has no ids: the member derives one from the bytes and remembers it
    // (envelope_ids.cpp).
    virtual bool ids_increase() const = 0;

  protected:
    EnvelopeHandler handler_;
};

// The transport the member's config names: twofold-relay, or MQTT (relay_transport set to MQTT).
Result<std::unique_ptr<Transport>> connect_transport(const v1::MemberConfig& config,
                                                     const crypto::SigningKey& identity);

}  // namespace twofold::member_client
