// The mosquitto side of `twofold-bench relay`: the Debian broker on a loopback port with
// persistence on (proc::MosquittoServer), N subscribers and one publisher through libmosquitto at
// QoS 1 over TLS 1.3 (the broker's certificate as the CA; the same listener for every row),
// sending real group envelopes (relay_bench_envelopes.h) on a group's topic. Run twice: raw, and
// with twofold-mosquitto-auth.so deciding every login, subscription, publication and delivery
// (clients log in with tokens and present GMS-signed statements first). Both runs use the same
// transport, so their ratio is the plugin's cost. relay_bench_twofold_mqtt.cpp runs the members'
// own transport (member_client/mqtt_transport.h) against the same broker.
//
// "Persistence on" for mosquitto means `persistence true` with `autosave_interval 1`: the broker
// keeps messages in memory, acknowledges QoS 1 (PUBACK) at once, and writes its whole state to
// mosquitto.db once a second. It does not fsync each message. The relay commits (fsync) every
// batch before it acknowledges. docs/relay.md says what this means for the comparison.
#include <mosquitto.h>
#include <sodium.h>


#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "crypto/hex.h"
#include "mqtt_auth/topics.h"
#include "proc/mosquitto_server.h"
#include "relay_bench.h"
#include "relay_bench_envelopes.h"

namespace twofold::bench {

namespace {

constexpr const char* kBrokerName = "bench.local";
constexpr std::size_t kGroupIdBytes = 16;
constexpr int kQos = 1;
constexpr int kKeepAliveSeconds = 60;
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr std::size_t kMessageSizeLimit = 262144;
constexpr auto kDrainTimeout = std::chrono::seconds(30);

struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t connected = 0;
    std::size_t subscribed = 0;
    std::size_t refused = 0;  // subscriptions the broker did not grant
    std::size_t statements_acked = 0;
    std::size_t in_flight = 0;
    std::uint64_t delivered = 0;
    std::vector<std::uint64_t> sent_ns;  // by publish index
    std::vector<double> latencies;
    SteadyClock::time_point last_delivery{};
};

// Each client's own part; its first PUBACK is for its statement (none in the raw run).
struct ClientState {
    Shared* shared = nullptr;
    bool statement_acked = true;
    ReceiveCounter counter;
};

struct ClientDeleter {
    void operator()(mosquitto* m) const { mosquitto_destroy(m); }
};
using Client = std::unique_ptr<mosquitto, ClientDeleter>;

void on_connect(mosquitto*, void* user, int rc) {
    auto& s = *static_cast<ClientState*>(user)->shared;
    if (rc != 0) return;
    std::lock_guard lock(s.mu);
    ++s.connected;
    s.cv.notify_all();
}

void on_subscribe(mosquitto*, void* user, int, int count, const int* granted) {
    auto& s = *static_cast<ClientState*>(user)->shared;
    std::lock_guard lock(s.mu);
    ++s.subscribed;
    if (count < 1 || granted[0] > 2) ++s.refused;
    s.cv.notify_all();
}

void on_message(mosquitto*, void* user, const mosquitto_message* msg) {
    auto& c = *static_cast<ClientState*>(user);
    const std::uint64_t now = steady_now_ns();
    // Only this client's network thread touches its counter.
    const std::int64_t index = c.counter.publish_index_of_relay_envelope(
        ByteView(static_cast<const std::uint8_t*>(msg->payload), static_cast<std::size_t>(msg->payloadlen)));
    auto& s = *c.shared;
    std::lock_guard lock(s.mu);
    if (index >= 0 && static_cast<std::size_t>(index) < s.sent_ns.size()) {
        s.latencies.push_back(static_cast<double>(now - s.sent_ns[static_cast<std::size_t>(index)]) / 1e6);
    }
    ++s.delivered;
    s.last_delivery = SteadyClock::now();
    s.cv.notify_all();
}

void on_publish(mosquitto*, void* user, int) {
    auto& c = *static_cast<ClientState*>(user);
    auto& s = *c.shared;
    std::lock_guard lock(s.mu);
    if (!c.statement_acked) {
        c.statement_acked = true;
        ++s.statements_acked;
    } else {
        --s.in_flight;
    }
    s.cv.notify_all();
}

// A raw client (anonymous) or, with `who`, one logged in as that key.
Result<Client> make_client(ClientState& state, const proc::MosquittoServer& broker, bool subscriber,
                           const BenchIdentity* who) {
    const std::string id = who ? who->username() : std::string();
    Client c(mosquitto_new(who ? id.c_str() : nullptr, true, &state));
    if (!c) return make_error(Errc::internal, "mosquitto_new failed");
    mosquitto_connect_callback_set(c.get(), on_connect);
    mosquitto_publish_callback_set(c.get(), on_publish);
    if (subscriber) {
        mosquitto_subscribe_callback_set(c.get(), on_subscribe);
        mosquitto_message_callback_set(c.get(), on_message);
    }
    if (who) {
        const std::string token = who->token(kBrokerName);
        mosquitto_username_pw_set(c.get(), id.c_str(), token.c_str());
    }
    if (mosquitto_tls_set(c.get(), broker.cafile().c_str(), nullptr, nullptr, nullptr, nullptr) != MOSQ_ERR_SUCCESS ||
        mosquitto_tls_opts_set(c.get(), 1, "tlsv1.3", nullptr) != MOSQ_ERR_SUCCESS) {
        return make_error(Errc::internal, "mosquitto_tls_set failed");
    }
    if (mosquitto_connect(c.get(), "127.0.0.1", broker.port(), kKeepAliveSeconds) != MOSQ_ERR_SUCCESS) {
        return make_error(Errc::unavailable, "cannot connect to mosquitto");
    }
    if (mosquitto_loop_start(c.get()) != MOSQ_ERR_SUCCESS) return make_error(Errc::internal, "mosquitto_loop_start failed");
    return c;
}

// Stops every client's network thread before the clients (and Shared) go away.
struct LoopStopper {
    std::vector<Client>& clients;
    ~LoopStopper() {
        for (auto& c : clients) {
            mosquitto_disconnect(c.get());
            mosquitto_loop_stop(c.get(), true);
        }
    }
};

template <class Done>
Status wait(Shared& shared, Done done, const char* what) {
    std::unique_lock lock(shared.mu);
    if (!shared.cv.wait_for(lock, kStartTimeout, done)) return make_error(Errc::timeout, what);
    return {};
}

}  // namespace

proc::MosquittoServer::Options bench_broker_options(const RelayWorkload& w, const std::string& plugin,
                                                    const std::string& gms_key_hex) {
    proc::MosquittoServer::Options o;
    o.plugin = plugin;  // the plugin of a release build: the bench is not run under the sanitizers
    o.gms_key_hex = gms_key_hex;
    o.broker_name = kBrokerName;
    o.persistence = true;
    o.save_on_changes = false;  // autosave_interval 1, as a deployment would
    o.message_size_limit = kMessageSizeLimit;
    o.max_inflight_messages = w.window;
    o.log = false;
    return o;
}

Result<Measurement> run_mosquitto(const RelayWorkload& w, const std::string& plugin) {
    const bool with_plugin = !plugin.empty();
    const auto gms = crypto::SigningKey::generate();
    std::string group(kGroupIdBytes, '\0');
    randombytes_buf(group.data(), group.size());
    const std::string topic = mqtt_auth::group_topic(group);
    std::vector<BenchIdentity> identities(w.members + 1);  // the publisher is the last
    const EnvelopePool pool(group, identities.back().key, w.msg_bytes);

    proc::MosquittoServer broker(bench_broker_options(w, plugin, crypto::to_hex(gms.public_key())));
    if (!broker.ready()) return make_error(Errc::unavailable, "mosquitto did not start (apt-get install mosquitto)");
    mosquitto_lib_init();
    Shared shared;
    shared.sent_ns.reserve(1 << 20);
    std::vector<std::unique_ptr<ClientState>> states;
    std::vector<Client> clients;
    LoopStopper stopper{clients};
    for (std::size_t i = 0; i <= w.members; ++i) {
        states.push_back(std::make_unique<ClientState>());
        states.back()->shared = &shared;
        auto c = make_client(*states.back(), broker, i < w.members, with_plugin ? &identities[i] : nullptr);
        if (!c) return c.error();
        clients.push_back(std::move(*c));
    }
    if (auto s = wait(shared, [&] { return shared.connected == clients.size(); }, "mosquitto clients did not connect");
        !s) {
        return s.error();
    }
    if (with_plugin) {
        // Every member presents its statement before it subscribes or publishes.
        for (std::size_t i = 0; i < clients.size(); ++i) {
            const std::string statement = identities[i].statement(gms, group);
            {
                std::lock_guard lock(shared.mu);
                states[i]->statement_acked = false;
            }
            mosquitto_publish(clients[i].get(), nullptr, mqtt_auth::statement_topic(group).c_str(),
                              static_cast<int>(statement.size()), statement.data(), kQos, false);
        }
        if (auto s = wait(shared, [&] { return shared.statements_acked == clients.size(); },
                          "statements were not acknowledged");
            !s) {
            return s.error();
        }
    }
    for (std::size_t i = 0; i < w.members; ++i) mosquitto_subscribe(clients[i].get(), nullptr, topic.c_str(), kQos);
    if (auto s = wait(shared, [&] { return shared.subscribed == w.members; },
                      "mosquitto subscriptions were not acknowledged");
        !s) {
        return s.error();
    }
    if (shared.refused > 0) return make_error(Errc::forbidden, "the broker refused the group subscriptions");
    mosquitto* publisher = clients.back().get();
    Measurement result;
    const auto first = SteadyClock::now();
    const auto stop = first + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(w.seconds));
    while (SteadyClock::now() < stop) {
        {
            std::unique_lock lock(shared.mu);
            shared.cv.wait(lock, [&] { return shared.in_flight < w.window; });
            ++shared.in_flight;
            shared.sent_ns.push_back(steady_now_ns());
        }
        const std::string& envelope = pool.relay_envelope_for_publish(result.published);
        if (mosquitto_publish(publisher, nullptr, topic.c_str(), static_cast<int>(envelope.size()), envelope.data(),
                              kQos, false) != MOSQ_ERR_SUCCESS) {
            return make_error(Errc::unavailable, "mosquitto_publish failed");
        }
        ++result.published;
    }
    std::unique_lock lock(shared.mu);
    shared.cv.wait_for(lock, kDrainTimeout, [&] { return shared.delivered >= result.published * w.members; });
    std::vector<double> latencies = std::move(shared.latencies);
    const double elapsed = std::chrono::duration<double>(shared.last_delivery - first).count();
    lock.unlock();
    summarise(result, latencies, elapsed);
    if (result.delivered < result.published * w.members) {
        return make_error(Errc::timeout, std::to_string(result.published * w.members - result.delivered) +
                                             " deliveries missing after the drain");
    }
    return result;
}

}  // namespace twofold::bench
