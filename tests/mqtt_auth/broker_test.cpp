// The real /usr/sbin/mosquitto with twofold-mosquitto-auth.so, over TLS on loopback, driven by
// libmosquitto clients: connections, subscriptions, publications and deliveries as the plugin
// decides them. Each test has its own broker, config, certificate and directory, removed after.
//
// To show that a message is NOT delivered without waiting for a timeout, the publisher sends a
// marker to the receiver's mailbox right after it: mosquitto forwards one connection's messages
// in order, so once the marker is in, the refused message would have been too.
#include <mosquitto.h>

#include <gtest/gtest.h>

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

namespace twofold::mqtt_auth {
namespace {

using namespace std::chrono_literals;
using testing::group_id;
using testing::key_of;
using testing::signed_statement;

constexpr const char* kBrokerName = "broker.test";
constexpr int kMessageSizeLimit = 4096;
constexpr auto kWait = 10s;

std::uint64_t now_unix() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

using Broker = twofold::testing::MosquittoBroker;

twofold::testing::MosquittoOptions broker_options(const std::string& gms_key_hex) {
    twofold::testing::MosquittoOptions o;
    o.gms_key_hex = gms_key_hex;
    o.broker_name = kBrokerName;
    o.message_size_limit = kMessageSizeLimit;
    return o;
}

// A libmosquitto client over TLS (MQTT 3.1.1), used synchronously: each call waits for its answer.
class Client {
  public:
    Client(const Broker& broker, const std::string& id, const std::string& username, const std::string& password) {
        m_ = mosquitto_new(id.c_str(), true, this);
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
            const std::string payload(static_cast<const char*>(msg->payload),
                                      static_cast<std::size_t>(msg->payloadlen));
            static_cast<Client*>(self)->record([&](Client& c) { c.received_.emplace_back(msg->topic, payload); });
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
};

constexpr int kRefused = 0x80;

struct Identity {
    crypto::SigningKey key = crypto::SigningKey::generate();
    std::string raw() const { return key_of(key); }
    std::string username() const { return crypto::to_hex(key.public_key()); }
    std::string token() const { return make_token(key, kBrokerName, now_unix(), 300); }
    std::string mailbox() const { return mailbox_topic(raw()); }
};

class BrokerTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { mosquitto_lib_init(); }
    static void TearDownTestSuite() { mosquitto_lib_cleanup(); }
    void SetUp() override { ASSERT_TRUE(broker.ready()) << "mosquitto did not start:\n" << broker.log(); }
    void TearDown() override {
        EXPECT_EQ(broker.sanitizer_reports(), "");
        if (HasFailure()) std::cerr << "--- mosquitto.log\n" << broker.log();
    }

    std::unique_ptr<Client> connect(const Identity& who, const std::string& id) {
        auto c = std::make_unique<Client>(broker, id, who.username(), who.token());
        EXPECT_EQ(c->connack(), 0) << id;
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
    Broker broker{broker_options(crypto::to_hex(gms.public_key()))};
    std::string group = group_id('g');
    std::string topic = group_topic(group);
    std::uint64_t later = now_unix() + 3600;
};

TEST_F(BrokerTest, ClientWithoutAValidTokenIsRefusedAndOthersAreServed) {
    Identity alice, mallory;
    struct Case {
        std::string username, password, logged;
    };
    const std::vector<Case> cases = {
        {alice.username(), "hunter2", "not a twofold-mqtt-v1 token"},
        {alice.username(), make_token(alice.key, "other.broker", now_unix(), 300), "is for broker 'other.broker'"},
        {alice.username(), make_token(mallory.key, kBrokerName, now_unix(), 300), "token signature does not verify"},
        {alice.username(), make_token(alice.key, kBrokerName, now_unix() - 400, 300), "token expired"},
        {"alice", alice.token(), "username is not an identity key"},
        {alice.username(), "", "no username or password"},
    };
    for (const auto& c : cases) {
        Client refused(broker, "refused", c.username, c.password);
        EXPECT_NE(refused.connack(), 0) << c.logged;
        EXPECT_TRUE(broker.log_has(c.logged)) << c.logged;
    }
    Client anonymous(broker, "anonymous", "", "");
    EXPECT_NE(anonymous.connack(), 0);
    auto ok = connect(alice, "alice");
    EXPECT_EQ(ok->subscribe(alice.mailbox()), 1);
    EXPECT_TRUE(broker.log_has("accepted client 'alice'"));
}

TEST_F(BrokerTest, MemberWithAStatementPublishesAndSubscribesToItsGroup) {
    Identity alice, bob;
    auto a = connect(alice, "alice");
    auto b = connect(bob, "bob");
    EXPECT_EQ(b->subscribe(topic), kRefused) << "no statement yet";
    present(*a, alice, 3, later);
    present(*b, bob, 3, later);
    EXPECT_EQ(b->subscribe(topic), 1);
    EXPECT_EQ(b->subscribe(bob.mailbox()), 1);
    ASSERT_TRUE(a->publish(topic, "ciphertext 1"));
    EXPECT_TRUE(b->wait_for(topic, "ciphertext 1"));
    EXPECT_TRUE(broker.log_has("recorded statement on '" + statement_topic(group) + "' from client 'bob'"));
}

TEST_F(BrokerTest, NonMemberCanNeitherSubscribeNorPublishNorSeeStatements) {
    Identity alice, bob, carol;
    auto a = connect(alice, "alice");
    auto b = connect(bob, "bob");
    auto c = connect(carol, "carol");
    present(*b, bob, 3, later);
    ASSERT_EQ(b->subscribe(topic), 1);
    ASSERT_EQ(b->subscribe(bob.mailbox()), 1);
    // carol shows bob's statement, and one the GMS did not sign: neither admits her.
    ASSERT_TRUE(c->publish(statement_topic(group), signed_statement(gms, group, bob.raw(), 3, later)));
    const auto forger = crypto::SigningKey::generate();
    ASSERT_TRUE(c->publish(statement_topic(group), signed_statement(forger, group, carol.raw(), 3, later)));
    EXPECT_TRUE(broker.log_has("statement is for another identity key"));
    EXPECT_TRUE(broker.log_has("membership statement (GMS) signature does not verify"));
    EXPECT_EQ(c->subscribe(topic), kRefused);
    EXPECT_EQ(c->subscribe("twofold/v1/#"), kRefused);
    EXPECT_EQ(c->subscribe(statement_topic(group)), kRefused);
    publish_then_mark(*c, topic, "from carol", *b, bob);
    EXPECT_FALSE(b->has(topic, "from carol"));
    EXPECT_TRUE(broker.log_has("refused publication of 10 bytes on '" + topic + "' from client 'carol'"));
    // A statement presented by a member is not forwarded to the group's subscribers either.
    EXPECT_EQ(b->subscribe(statement_topic(group)), kRefused);
    (void)a;
}

TEST_F(BrokerTest, AnyoneWritesToAMailboxOnlyItsOwnerReadsIt) {
    Identity bob, carol;
    auto b = connect(bob, "bob");
    auto c = connect(carol, "carol");
    EXPECT_EQ(b->subscribe(bob.mailbox()), 1);
    EXPECT_EQ(c->subscribe(bob.mailbox()), kRefused);
    ASSERT_TRUE(c->publish(bob.mailbox(), "invitation"));
    EXPECT_TRUE(b->wait_for(bob.mailbox(), "invitation"));
    EXPECT_TRUE(broker.log_has("another key's mailbox is not readable"));
    // Nothing is retained: not in a mailbox, not for a later subscriber.
    ASSERT_TRUE(c->publish(bob.mailbox(), "parked", /*retain=*/true));
    ASSERT_TRUE(c->publish(bob.mailbox(), "after parked"));
    ASSERT_TRUE(b->wait_for(bob.mailbox(), "after parked"));
    EXPECT_FALSE(b->has(bob.mailbox(), "parked"));
    EXPECT_TRUE(broker.log_has("refused retained publication on '" + bob.mailbox() + "' from client 'carol'"));
}

TEST_F(BrokerTest, ExpiredStatementEndsAnExistingSubscription) {
    Identity alice, bob;
    auto a = connect(alice, "alice");
    auto b = connect(bob, "bob");
    present(*a, alice, 3, later);
    const std::uint64_t soon = now_unix() + 2;
    present(*b, bob, 3, soon);
    ASSERT_EQ(b->subscribe(topic), 1);
    ASSERT_EQ(b->subscribe(bob.mailbox()), 1);
    publish_then_mark(*a, topic, "before expiry", *b, bob);
    EXPECT_TRUE(b->has(topic, "before expiry"));
    while (now_unix() < soon) std::this_thread::sleep_for(50ms);
    publish_then_mark(*a, topic, "after expiry", *b, bob);
    EXPECT_FALSE(b->has(topic, "after expiry"));
    EXPECT_TRUE(broker.log_has("refused delivery of '" + topic + "' to client 'bob'"));
}

TEST_F(BrokerTest, SupersededStatementEndsAnExistingSubscriptionAfterTheGrace) {
    Identity alice, bob, carol;
    auto a = connect(alice, "alice");
    auto b = connect(bob, "bob");
    auto c = connect(carol, "carol");
    present(*b, bob, 3, later);
    ASSERT_EQ(b->subscribe(topic), 1);
    ASSERT_EQ(b->subscribe(bob.mailbox()), 1);
    // bob is removed: epoch 4's statements go to alice and carol only.
    present(*a, alice, 4, later);
    present(*c, carol, 4, later);
    ASSERT_EQ(c->subscribe(topic), 1);
    ASSERT_EQ(c->subscribe(carol.mailbox()), 1);
    std::this_thread::sleep_for(1200ms);  // the broker's grace is 1 s
    publish_then_mark(*a, topic, "epoch 4", *b, bob);
    EXPECT_FALSE(b->has(topic, "epoch 4"));
    EXPECT_TRUE(c->wait_for(topic, "epoch 4"));
    EXPECT_TRUE(broker.log_has("epoch 3 was superseded"));
}

TEST_F(BrokerTest, GarbageAndOversizedPublicationsAreRefusedAndTheBrokerKeepsServing) {
    Identity alice, bob;
    auto a = connect(alice, "alice");
    auto b = connect(bob, "bob");
    present(*a, alice, 3, later);
    present(*b, bob, 3, later);
    ASSERT_EQ(b->subscribe(topic), 1);
    ASSERT_EQ(b->subscribe(bob.mailbox()), 1);
    ASSERT_TRUE(a->publish(statement_topic(group), std::string("\x08\xff\xff\xff garbage", 12)));
    ASSERT_TRUE(a->publish(statement_topic(group), std::string(2000, 'x')));
    EXPECT_TRUE(broker.log_has("statement does not parse as a MembershipStatement"));
    EXPECT_TRUE(broker.log_has("statement of 2000 bytes (at most 1024)"));
    const std::string oversized(kMessageSizeLimit + 1, 'z');
    publish_then_mark(*a, topic, oversized, *b, bob);
    EXPECT_FALSE(b->has(topic, oversized));
    EXPECT_EQ(broker.log().find("zzzzzzzzzzzzzzzz"), std::string::npos) << "payload bytes are never logged";
    publish_then_mark(*a, topic, "still served", *b, bob);
    EXPECT_TRUE(b->has(topic, "still served"));
    EXPECT_TRUE(broker.running());
}

TEST(BrokerConfigTest, BrokerDoesNotStartWithoutAUsableGmsKey) {
    mosquitto_lib_init();
    for (const std::string& bad : {std::string("not-hex"), std::string(62, 'a'), std::string(64, 'g')}) {
        Broker broker(broker_options(bad));
        EXPECT_FALSE(broker.ready()) << bad;
        EXPECT_FALSE(broker.running()) << bad;
        EXPECT_NE(broker.log().find("plugin_opt_gms_key must be the GMS public key"), std::string::npos)
            << broker.log();
    }
    mosquitto_lib_cleanup();
}

}  // namespace
}  // namespace twofold::mqtt_auth
