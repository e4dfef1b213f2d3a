// One MQTT 5 connection through libmosquitto, used synchronously by one thread: TLS 1.3 with the
// broker's certificate pinned by fingerprint (net/pinned_ssl_ctx.h), QoS 1 both ways.
//
// When an acknowledgement leaves (docs/decisions.md 34): libmosquitto 2.0.11 queues the PUBACK of
// a QoS 1 publication *before* it calls the message callback (lib/handle_publish.c), and without
// threads writes it at once. So the session runs libmosquitto in "threaded" mode with no thread of
// its own (mosquitto_threaded_set): nothing is written except by this class's pump, and the pump
// writes only after the handler has returned. The handler is where the receiver commits the
// publication to its store; a PUBACK therefore never precedes that commit. A handler that fails
// poisons the session: nothing more is written (its PUBACK never leaves), the socket is closed, and
// the broker delivers the publication again to the next session under the same client id.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/bytes.h"

namespace twofold::mqtt {

struct SessionOptions {
    std::string host;
    std::uint16_t port = 8883;
    std::string fingerprint;  // "sha256:HEX" of the broker's certificate
    std::string client_id;
    std::string username;
    std::string password;
    // Persistent: clean start off and this session expiry (the broker keeps subscriptions and
    // queues QoS 1 publications while the client is away). Otherwise clean start, expiry 0.
    bool persistent = false;
    std::uint32_t session_expiry_seconds = 0;
    std::chrono::milliseconds timeout{10'000};  // connect, and each request's answer
    int keepalive_seconds = 60;
};

struct Publication {
    std::string topic;
    std::string payload;
};

// Runs inside libmosquitto's message callback, before the publication's PUBACK can be written.
// An error keeps the PUBACK from ever leaving (the session is then unusable).
using PublicationHandler = std::function<Status(const Publication&)>;

class Session {
  public:
    // unavailable (cannot connect), auth_failed (pin mismatch, or the broker refused the login:
    // the CONNACK reason is named), timeout.
    static Result<std::unique_ptr<Session>> connect(const SessionOptions& options, PublicationHandler handler = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // QoS 1; returns once the broker's PUBACK is in. forbidden for "not authorized" (0x87), and
    // the reason code named for any other refusal.
    Status publish(std::string_view topic, ByteView payload);
    // Pipelined (a benchmark's publisher): queues the publication and returns once fewer than
    // `window` are unacknowledged; a refusal of any of them is reported by a later call.
    Status publish_window(std::string_view topic, ByteView payload, std::size_t window);
    // Waits until every pipelined publication is acknowledged.
    Status wait_published();
    // Waits for the SUBACK; forbidden when the broker refused the subscription.
    Status subscribe(std::string_view topic);
    // Waits up to `timeout` for publications and hands each to the handler. timeout when none came
    // (none since the last call: the handler also runs while connecting and subscribing).
    Status receive(std::chrono::milliseconds timeout);

    bool connected() const;
    // A clean DISCONNECT (and its pending acknowledgements) unless the session is poisoned.
    void close();

  private:
    struct Impl;
    explicit Session(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace twofold::mqtt
