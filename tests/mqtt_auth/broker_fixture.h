// The mqtt_broker suites' pieces: a synchronous libmosquitto test client, an identity, and a
// fixture with the real mosquitto and the plugin (tests/support/mosquitto_broker.h).
//
// On a group topic the client publishes its payload inside an envelope for the group (the plugin
// refuses anything else there) and records the payload of what it receives, so tests speak in
// payloads; publish_raw sends bytes as they are.
//
// To show that a message is NOT delivered without waiting for a timeout, the publisher sends a
// marker to the receiver's mailbox right after it: mosquitto forwards one connection's messages
// in order, so once the marker is in, the refused message would have been too.
#pragma once

#include <mosquitto.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "crypto/hex.h"
#include "mqtt_auth/token.h"
#include "mqtt_auth/topics.h"
#include "statements.h"
#include "support/mosquitto_broker.h"
#include "twofold/v1/relay.pb.h"

namespace twofold::mqtt_auth::testing {

using namespace std::chrono_literals;

inline constexpr const char* kBrokerName = "broker.test";
inline constexpr int kMessageSizeLimit = 4096;
inline constexpr auto kWait = 10s;
inline constexpr int kRefused = 0x80;

inline std::uint64_t now_unix() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

using Broker = twofold::testing::MosquittoBroker;

inline twofold::testing::MosquittoOptions broker_options(const std::string& gms_key_hex) {
    twofold::testing::MosquittoOptions o;
    o.gms_key_hex = gms_key_hex;
    o.broker_name = kBrokerName;
    o.message_size_limit = kMessageSizeLimit;
    return o;
}

// A libmosquitto client over TLS (MQTT 3.1.1), used synchronously: each call waits for its answer.
// `clean_session` false: a persistent session (the broker queues QoS 1 messages while it is away).
class Client {
  public:
    Client(const Broker& broker, const std::string& id, const std::string& username, const std::string& password,
           bool clean_session = true) {
        m_ = mosquitto_new(id.c_str(), clean_session, this);
        mosquitto_connect_callback_set(m_, [](mosquitto*, void* self, int rc) {
            static_cast<Client*>(self)->record([&](Client& c) { c.connack_ = rc; });
        });
        mosquitto_subscribe_callback_set(m_, [](mosquitto*, void* self, int mid, int, const int* granted) {
            static_cast<Client*>(self)->record([&](Client& c) { c.granted_[mid] = granted[0]; });
        });
        mosquitto_publish_callback_set(m_, [](mosquitto*, void* self, int mid) {
            static_cast<Client*>(self)->record([&](Client& c) { c.acked_.push_back(mid); });
        });
        mosquitto_message_callback_set(m_, [](mosquitto*, void* self, const mosquitto_message* msg) {
            std::string payload(static_cast<const char*>(msg->payload), static_cast<std::size_t>(msg->payloadlen));
            v1::Envelope envelope;
            std::uint64_t stamp = 0;
            if (classify_topic(msg->topic).kind == TopicKind::group && envelope.ParseFromString(payload)) {
                payload = envelope.payload();
                stamp = envelope.broker_epoch();
            }
            static_cast<Client*>(self)->record([&](Client& c) {
                c.received_.emplace_back(msg->topic, payload);
                c.stamps_[payload] = stamp;
            });
        });
        if (!username.empty())
            mosquitto_username_pw_set(m_, username.c_str(), password.empty() ? nullptr : password.c_str());
        mosquitto_tls_set(m_, broker.cafile().c_str(), nullptr, nullptr, nullptr, nullptr);
        if (mosquitto_connect(m_, "127.0.0.1", broker.port(), 60) == MOSQ_ERR_SUCCESS) mosquitto_loop_start(m_);
    }
    ~Client() {
        mosquitto_disconnect(m_);
        mosquitto_loop_stop(m_, true);
        mosquitto_destroy(m_);
    }
    // The CONNACK code (0 accepted), or -1 if none came (a refused client may also just be cut off).
    int connack() {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, kWait, [&] { return connack_ >= 0; });
        return connack_;
    }
    // The granted QoS, or 0x80 (refused).
    int subscribe(const std::string& topic) {
        int mid = 0;
        mosquitto_subscribe(m_, &mid, topic.c_str(), 1);
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, kWait, [&] { return granted_.contains(mid); });
        return granted_.contains(mid) ? granted_[mid] : -1;
    }
    // Waits for the PUBACK (which MQTT 3.1.1 sends for refused publications too).
    bool publish(const std::string& topic, const std::string& payload, bool retain = false) {
        const Topic t = classify_topic(topic);
        if (t.kind != TopicKind::group) return publish_raw(topic, payload, retain);
        v1::Envelope envelope;
        envelope.set_type(v1::ENVELOPE_TYPE_GROUP_MESSAGE);
        envelope.set_sender_key(std::string(32, 's'));
        envelope.set_group_id(t.id);
        envelope.set_payload(payload);
        return publish_raw(topic, envelope.SerializeAsString(), retain);
    }
    bool publish_raw(const std::string& topic, const std::string& payload, bool retain = false) {
        int mid = 0;
        if (mosquitto_publish(m_, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, retain) !=
            MOSQ_ERR_SUCCESS) {
            return false;
        }
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, kWait, [&] { return std::find(acked_.begin(), acked_.end(), mid) != acked_.end(); });
    }
    bool wait_for(const std::string& topic, const std::string& payload) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, kWait, [&] { return has_locked(topic, payload); });
    }
    bool has(const std::string& topic, const std::string& payload) {
        std::lock_guard lock(mu_);
        return has_locked(topic, payload);
    }
    // The broker's stamp on a received group payload (0: none).
    std::uint64_t stamp_of(const std::string& payload) {
        std::lock_guard lock(mu_);
        return stamps_.contains(payload) ? stamps_[payload] : 0;
    }
    // Everything received on `topic`, in order.
    std::vector<std::string> received_on(const std::string& topic) {
        std::lock_guard lock(mu_);
        std::vector<std::string> out;
        for (const auto& [t, payload] : received_) {
            if (t == topic) out.push_back(payload);
        }
        return out;
    }

  private:
    template <class F>
    void record(F change) {
        std::lock_guard lock(mu_);
        change(*this);
        cv_.notify_all();
    }
    bool has_locked(const std::string& topic, const std::string& payload) const {
        return std::find(received_.begin(), received_.end(), std::pair(topic, payload)) != received_.end();
    }
    mosquitto* m_ = nullptr;
    std::mutex mu_;
    std::condition_variable cv_;
    int connack_ = -1;
    std::map<int, int> granted_;
    std::vector<int> acked_;
    std::vector<std::pair<std::string, std::string>> received_;
    std::map<std::string, std::uint64_t> stamps_;
};

struct Identity {
    std::string name;  // the client id is the key in hex, "-" and this

    crypto::SigningKey key = crypto::SigningKey::generate();
    std::string raw() const { return key_of(key); }
    std::string username() const { return crypto::to_hex(key.public_key()); }
    std::string token() const { return make_token(key, kBrokerName, now_unix(), 300); }
    std::string mailbox() const { return mailbox_topic(raw()); }
    std::string client_id() const { return username() + "-" + name; }
};

class BrokerTest : public ::testing::Test {
  protected:
    // `plugin_state` false: the plugin keeps statements in memory only (no plugin_opt_state_file).
    explicit BrokerTest(bool plugin_state = true) : broker(options(gms, plugin_state)) {}
    static twofold::testing::MosquittoOptions options(const crypto::SigningKey& gms, bool plugin_state) {
        auto o = broker_options(crypto::to_hex(gms.public_key()));
        o.plugin_state = plugin_state;
        return o;
    }
    static void SetUpTestSuite() { mosquitto_lib_init(); }
    static void TearDownTestSuite() { mosquitto_lib_cleanup(); }
    void SetUp() override { ASSERT_TRUE(broker.ready()) << "mosquitto did not start:\n" << broker.log(); }
    void TearDown() override {
        EXPECT_EQ(broker.sanitizer_reports(), "");
        if (HasFailure()) std::cerr << "--- mosquitto.log\n" << broker.log();
    }

    std::unique_ptr<Client> connect(const Identity& who, bool clean_session = true) {
        auto c = std::make_unique<Client>(broker, who.client_id(), who.username(), who.token(), clean_session);
        EXPECT_EQ(c->connack(), 0) << who.name;
        return c;
    }
    // Presents a statement for `who` in the group at `epoch` (the plugin records it, forwards nothing).
    void present(Client& c, const Identity& who, std::uint64_t epoch, std::uint64_t expires) {
        ASSERT_TRUE(c.publish(statement_topic(group), signed_statement(gms, group, who.raw(), epoch, expires)));
    }
    // Publishes `payload` on `topic`, then a marker to `receiver`'s mailbox; waits for the marker.
    void publish_then_mark(Client& from, const std::string& topic, const std::string& payload, Client& receiver,
                           const Identity& receiver_id) {
        ASSERT_TRUE(from.publish(topic, payload));
        const std::string marker = "marker " + std::to_string(++markers_);
        ASSERT_TRUE(from.publish(receiver_id.mailbox(), marker));
        ASSERT_TRUE(receiver.wait_for(receiver_id.mailbox(), marker));
    }

    int markers_ = 0;
    crypto::SigningKey gms = crypto::SigningKey::generate();
    Broker broker;
    std::string group = group_id('g');
    std::string topic = group_topic(group);
    std::uint64_t later = now_unix() + 3600;
};

}  // namespace twofold::mqtt_auth::testing
