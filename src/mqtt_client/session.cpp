#include "mqtt_client/session.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <mutex>

#include "net/pinned_ssl_ctx.h"

namespace twofold::mqtt {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollSlice{1000};  // keepalive bookkeeping runs at least this often
constexpr std::chrono::milliseconds kCloseTimeout{1000};

void init_library() {
    static std::once_flag once;
    std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string reason_text(int reason) {
    const char* text = mosquitto_reason_string(reason);
    return std::string(text ? text : "unknown reason") + " (0x" + [&] {
        static const char* hex = "0123456789abcdef";
        return std::string{hex[(reason >> 4) & 0xf], hex[reason & 0xf]};
    }() + ")";
}

}  // namespace

struct Session::Impl {
    mosquitto* m = nullptr;
    net::SslCtxPtr ctx;
    PublicationHandler handler;
    std::chrono::milliseconds timeout{};
    std::string broker;  // host:port, for errors
    int connack = -1;
    bool lost = false;
    bool poisoned = false;
    Error failure{Errc::internal, "no failure"};
    std::map<int, int> pubacks;  // mid -> reason code
    std::map<int, int> subacks;  // mid -> granted QoS or reason code
    std::set<int> pipelined;     // publish_window()'s, not yet acknowledged
    std::size_t pipelined_refused = 0;
    std::size_t handled = 0;
    std::size_t reported = 0;  // handled as receive() last said

    ~Impl() {
        if (m) mosquitto_destroy(m);  // closes the socket; writes nothing that is still queued
    }

    Status lost_error() const {
        return make_error(Errc::unavailable, "the connection to the MQTT broker " + broker + " was lost");
    }

    // Runs libmosquitto until `done`, the deadline, a lost connection or a failed handler.
    // Writes happen only here, after every handler of the read before them has returned.
    template <class Done>
    Status pump(Clock::time_point deadline, Done done) {
        for (;;) {
            if (poisoned) return failure;
            if (done()) return {};
            if (lost) return lost_error();
            const auto now = Clock::now();
            if (now >= deadline) return make_error(Errc::timeout, "no answer from the MQTT broker " + broker + " in time");
            const int fd = mosquitto_socket(m);
            if (fd < 0) {
                lost = true;
                continue;
            }
            pollfd p{fd, static_cast<short>(POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0)), 0};
            const auto wait = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now), kPollSlice);
            const int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(wait.count(), 1)));
            if (ready > 0) {
                // Reading also drives the TLS handshake; a read with nothing to read is harmless.
                if (mosquitto_loop_read(m, 1) != MOSQ_ERR_SUCCESS) lost = true;
                if (poisoned) return failure;  // nothing more is written: its PUBACK must not leave
                if (!lost && mosquitto_want_write(m) && mosquitto_loop_write(m, 1) != MOSQ_ERR_SUCCESS) lost = true;
            }
            if (!lost && connack == 0 && mosquitto_loop_misc(m) != MOSQ_ERR_SUCCESS) lost = true;
        }
    }

    Clock::time_point deadline() const { return Clock::now() + timeout; }
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Session::~Session() { close(); }

Result<std::unique_ptr<Session>> Session::connect(const SessionOptions& o, PublicationHandler handler) {
    init_library();
    auto ctx = net::make_pinned_client_ssl_ctx(o.fingerprint);
    if (!ctx) return ctx.error();
    auto impl = std::make_unique<Impl>();
    impl->ctx = std::move(*ctx);
    impl->handler = std::move(handler);
    impl->timeout = o.timeout;
    impl->broker = o.host + ":" + std::to_string(o.port);
    impl->m = mosquitto_new(o.client_id.c_str(), !o.persistent, impl.get());
    if (!impl->m) return make_error(Errc::internal, "mosquitto_new failed");
    mosquitto* m = impl->m;
    // No thread of libmosquitto's own, and no write outside Impl::pump (see session.h).
    mosquitto_threaded_set(m, true);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_void_option(m, MOSQ_OPT_SSL_CTX, impl->ctx.get());  // libmosquitto takes its own reference
    mosquitto_int_option(m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
    if (mosquitto_username_pw_set(m, o.username.c_str(), o.password.c_str()) != MOSQ_ERR_SUCCESS) {
        return make_error(Errc::invalid_argument, "the MQTT username or password is not valid UTF-8");
    }
    mosquitto_connect_v5_callback_set(m, [](mosquitto*, void* self, int rc, int, const mosquitto_property*) {
        static_cast<Impl*>(self)->connack = rc;
    });
    mosquitto_disconnect_v5_callback_set(
        m, [](mosquitto*, void* self, int, const mosquitto_property*) { static_cast<Impl*>(self)->lost = true; });
    mosquitto_publish_v5_callback_set(m, [](mosquitto*, void* self, int mid, int reason, const mosquitto_property*) {
        auto& s = *static_cast<Impl*>(self);
        if (s.pipelined.erase(mid) == 1) {
            if (reason >= 0x80) ++s.pipelined_refused;
            return;
        }
        s.pubacks[mid] = reason;
    });
    mosquitto_subscribe_v5_callback_set(
        m, [](mosquitto*, void* self, int mid, int count, const int* granted, const mosquitto_property*) {
            static_cast<Impl*>(self)->subacks[mid] = count > 0 ? granted[0] : MQTT_RC_UNSPECIFIED;
        });
    mosquitto_message_v5_callback_set(
        m, [](mosquitto*, void* self, const mosquitto_message* msg, const mosquitto_property*) {
            auto& s = *static_cast<Impl*>(self);
            if (s.poisoned) return;  // its PUBACK will never be written either
            Publication p;
            p.topic = msg->topic ? msg->topic : "";
            if (msg->payloadlen > 0) p.payload.assign(static_cast<const char*>(msg->payload), static_cast<std::size_t>(msg->payloadlen));
            Status st = s.handler ? s.handler(p) : Status(make_error(Errc::internal, "no handler for a publication"));
            if (!st) {
                s.poisoned = true;
                s.failure = st.error();
                return;
            }
            ++s.handled;
        });

    mosquitto_property* props = nullptr;
    if (o.persistent) mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, o.session_expiry_seconds);
    const int rc = mosquitto_connect_bind_v5(m, o.host.c_str(), o.port, o.keepalive_seconds, nullptr, props);
    mosquitto_property_free_all(&props);
    if (rc == MOSQ_ERR_TLS) {  // the handshake can fail within the connect call already
        return make_error(Errc::unavailable, "the TLS handshake with the MQTT broker " + impl->broker +
                                                 " failed (wrong certificate fingerprint, or not a TLS 1.3 listener?)");
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        return make_error(Errc::unavailable, "cannot connect to the MQTT broker " + impl->broker + ": " +
                                                 (rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno))
                                                                       : std::string(mosquitto_strerror(rc))));
    }
    Impl& s = *impl;
    Status up = s.pump(s.deadline(), [&] { return s.connack >= 0; });
    if (!up) {
        // A failed handshake because of the pin closes the socket before any CONNACK.
        if (up.error().code == Errc::unavailable && s.connack < 0) {
            return make_error(Errc::unavailable, "the MQTT broker " + s.broker +
                                                     " closed the connection during TLS or login (wrong "
                                                     "certificate fingerprint, or not a TLS 1.3 listener?)");
        }
        return up.error();
    }
    if (s.connack != 0) {
        return make_error(Errc::auth_failed, "the MQTT broker " + s.broker + " refused the login: " + reason_text(s.connack));
    }
    return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Status Session::publish(std::string_view topic, ByteView payload) {
    Impl& s = *impl_;
    if (s.poisoned) return s.failure;
    int mid = 0;
    const std::string t(topic);
    const int rc = mosquitto_publish_v5(s.m, &mid, t.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false,
                                        nullptr);
    if (rc == MOSQ_ERR_OVERSIZE_PACKET || rc == MOSQ_ERR_PAYLOAD_SIZE) {
        return make_error(Errc::too_large, "publication of " + std::to_string(payload.size()) + " bytes is too large for the broker");
    }
    if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) return s.lost_error();
    if (rc != MOSQ_ERR_SUCCESS) return make_error(Errc::internal, std::string("mosquitto_publish: ") + mosquitto_strerror(rc));
    if (auto st = s.pump(s.deadline(), [&] { return s.pubacks.contains(mid); }); !st) return st;
    const int reason = s.pubacks[mid];
    s.pubacks.erase(mid);
    if (reason == MQTT_RC_SUCCESS || reason == MQTT_RC_NO_MATCHING_SUBSCRIBERS) return {};
    if (reason == MQTT_RC_NOT_AUTHORIZED) return make_error(Errc::forbidden, "the broker refused the publication on " + t + ": not authorized");
    if (reason == MQTT_RC_PACKET_TOO_LARGE) return make_error(Errc::too_large, "the broker refused the publication on " + t + ": too large");
    return make_error(Errc::forbidden, "the broker refused the publication on " + t + ": " + reason_text(reason));
}

Status Session::publish_window(std::string_view topic, ByteView payload, std::size_t window) {
    Impl& s = *impl_;
    if (s.pipelined_refused > 0) return make_error(Errc::forbidden, "the broker refused pipelined publications");
    int mid = 0;
    const std::string t(topic);
    const int rc = mosquitto_publish_v5(s.m, &mid, t.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false,
                                        nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return make_error(Errc::unavailable, std::string("mosquitto_publish: ") + mosquitto_strerror(rc));
    s.pipelined.insert(mid);
    return s.pump(s.deadline(), [&] { return s.pipelined.size() < std::max<std::size_t>(window, 1); });
}

Status Session::wait_published() {
    Impl& s = *impl_;
    if (auto st = s.pump(s.deadline(), [&] { return s.pipelined.empty(); }); !st) return st;
    if (s.pipelined_refused > 0) return make_error(Errc::forbidden, "the broker refused pipelined publications");
    return {};
}

Status Session::subscribe(std::string_view topic) {
    Impl& s = *impl_;
    if (s.poisoned) return s.failure;
    int mid = 0;
    const std::string t(topic);
    const int rc = mosquitto_subscribe_v5(s.m, &mid, t.c_str(), 1, 0, nullptr);
    if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) return s.lost_error();
    if (rc != MOSQ_ERR_SUCCESS) return make_error(Errc::internal, std::string("mosquitto_subscribe: ") + mosquitto_strerror(rc));
    if (auto st = s.pump(s.deadline(), [&] { return s.subacks.contains(mid); }); !st) return st;
    const int granted = s.subacks[mid];
    s.subacks.erase(mid);
    if (granted > 2) return make_error(Errc::forbidden, "the broker refused the subscription to " + t + ": " + reason_text(granted));
    return {};
}

Status Session::receive(std::chrono::milliseconds timeout) {
    Impl& s = *impl_;
    // Publications handled while connecting or subscribing count too: they arrived since the last call.
    Status st = s.pump(Clock::now() + timeout, [&] { return s.handled > s.reported; });
    s.reported = s.handled;
    if (!st && st.error().code == Errc::timeout) {
        return make_error(Errc::timeout, "no publication within " + std::to_string(timeout.count()) + " ms");
    }
    return st;
}

bool Session::connected() const { return impl_ && !impl_->lost && !impl_->poisoned; }

void Session::close() {
    if (!impl_ || !impl_->m) return;
    Impl& s = *impl_;
    if (!s.poisoned && !s.lost && s.connack == 0) {
        // Flushes what is queued (acknowledgements of committed publications) and says goodbye.
        if (mosquitto_disconnect_v5(s.m, MQTT_RC_NORMAL_DISCONNECTION, nullptr) == MOSQ_ERR_SUCCESS) {
            (void)s.pump(Clock::now() + kCloseTimeout, [&] { return !mosquitto_want_write(s.m); });
        }
    }
    mosquitto_destroy(s.m);
    s.m = nullptr;
}

}  // namespace twofold::mqtt
