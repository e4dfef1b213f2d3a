// The real /usr/sbin/mosquitto with twofold-mosquitto-auth.so, over TLS on loopback, driven by
// libmosquitto clients: connections, subscriptions, publications and deliveries as the plugin
// decides them. Each test has its own broker, config, certificate and directory, removed after.
#include "broker_fixture.h"

namespace twofold::mqtt_auth::testing {
namespace {

TEST_F(BrokerTest, ClientWithoutAValidTokenIsRefusedAndOthersAreServed) {
    Identity alice{"alice"}, mallory{"mallory"};
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
    // A valid login, but a client id that is not the key: sessions are bound to keys.
    for (const std::string& id : {std::string("alice"), mallory.client_id(), alice.username() + "x", alice.username() + "-"}) {
        Client other_id(broker, id, alice.username(), alice.token());
        EXPECT_NE(other_id.connack(), 0) << id;
    }
    EXPECT_TRUE(broker.log_has("client id is not the username"));
    auto ok = connect(alice);
    EXPECT_EQ(ok->subscribe(alice.mailbox()), 1);
    EXPECT_TRUE(broker.log_has("accepted client '" + alice.client_id() + "'"));
}

TEST_F(BrokerTest, MemberWithAStatementPublishesAndSubscribesToItsGroup) {
    Identity alice{"alice"}, bob{"bob"};
    auto a = connect(alice);
    auto b = connect(bob);
    EXPECT_EQ(b->subscribe(topic), kRefused) << "no statement yet";
    present(*a, alice, 3, later);
    present(*b, bob, 3, later);
    EXPECT_EQ(b->subscribe(topic), 1);
    EXPECT_EQ(b->subscribe(bob.mailbox()), 1);
    ASSERT_TRUE(a->publish(topic, "ciphertext 1"));
    EXPECT_TRUE(b->wait_for(topic, "ciphertext 1"));
    EXPECT_TRUE(broker.log_has("recorded statement on '" + statement_topic(group) + "' from client '" + bob.client_id() + "'"));
}

TEST_F(BrokerTest, NonMemberCanNeitherSubscribeNorPublishNorSeeStatements) {
    Identity alice{"alice"}, bob{"bob"}, carol{"carol"};
    auto a = connect(alice);
    auto b = connect(bob);
    auto c = connect(carol);
    present(*b, bob, 3, later);
    ASSERT_EQ(b->subscribe(topic), 1);
    ASSERT_EQ(b->subscribe(bob.mailbox()), 1);
    // carol shows bob's statement (recorded for bob, as a member shows a joiner's), and one the
    // GMS did not sign: neither admits her.
    ASSERT_TRUE(c->publish(statement_topic(group), signed_statement(gms, group, bob.raw(), 3, later)));
    const auto forger = crypto::SigningKey::generate();
    ASSERT_TRUE(c->publish(statement_topic(group), signed_statement(forger, group, carol.raw(), 3, later)));
    EXPECT_TRUE(broker.log_has("membership statement (GMS) signature does not verify"));
    EXPECT_EQ(c->subscribe(topic), kRefused);
    EXPECT_EQ(c->subscribe("twofold/v1/#"), kRefused);
    EXPECT_EQ(c->subscribe(statement_topic(group)), kRefused);
    publish_then_mark(*c, topic, "from carol", *b, bob);
    EXPECT_FALSE(b->has(topic, "from carol"));
    EXPECT_TRUE(broker.log_has("refused publication of 66 bytes on '" + topic + "' from client '" + carol.client_id() + "'"));
    // A statement presented by a member is not forwarded to the group's subscribers either.
    EXPECT_EQ(b->subscribe(statement_topic(group)), kRefused);
    (void)a;
}

TEST_F(BrokerTest, AnyoneWritesToAMailboxOnlyItsOwnerReadsIt) {
    Identity bob{"bob"}, carol{"carol"};
    auto b = connect(bob);
    auto c = connect(carol);
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
    EXPECT_TRUE(broker.log_has("refused retained publication on '" + bob.mailbox() + "' from client '" + carol.client_id() + "'"));
}

TEST_F(BrokerTest, ExpiredStatementEndsAnExistingSubscription) {
    Identity alice{"alice"}, bob{"bob"};
    auto a = connect(alice);
    auto b = connect(bob);
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
    EXPECT_TRUE(broker.log_has("refused delivery of '" + topic + "' to client '" + bob.client_id() + "'"));
}

TEST_F(BrokerTest, SupersededStatementEndsAnExistingSubscriptionAfterTheGrace) {
    Identity alice{"alice"}, bob{"bob"}, carol{"carol"};
    auto a = connect(alice);
    auto b = connect(bob);
    auto c = connect(carol);
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
    Identity alice{"alice"}, bob{"bob"};
    auto a = connect(alice);
    auto b = connect(bob);
    present(*a, alice, 3, later);
    present(*b, bob, 3, later);
    ASSERT_EQ(b->subscribe(topic), 1);
    ASSERT_EQ(b->subscribe(bob.mailbox()), 1);
    ASSERT_TRUE(a->publish(statement_topic(group), std::string("\x08\xff\xff\xff garbage", 12)));
    ASSERT_TRUE(a->publish(statement_topic(group), std::string(2000, 'x')));
    EXPECT_TRUE(broker.log_has("statement does not parse as a MembershipStatement"));
    EXPECT_TRUE(broker.log_has("statement of 2000 bytes (at most 1024)"));
    // On a group topic only an envelope for that group passes, never one stamped by the sender.
    ASSERT_TRUE(a->publish_raw(topic, "\xff\xfe not an envelope"));
    EXPECT_TRUE(broker.log_has("bytes on a group topic is not an envelope"));
    v1::Envelope self_stamped;
    self_stamped.set_group_id(group);
    self_stamped.set_broker_epoch(1);
    ASSERT_TRUE(a->publish_raw(topic, self_stamped.SerializeAsString()));
    EXPECT_TRUE(broker.log_has("only the broker sets"));
    const std::string oversized(kMessageSizeLimit + 1, 'z');
    publish_then_mark(*a, topic, oversized, *b, bob);
    EXPECT_FALSE(b->has(topic, oversized));
    // mosquitto drops it before any plugin sees it, and says so (at debug level, with the size).
    EXPECT_TRUE(broker.log_has("Dropped too large PUBLISH from " + alice.client_id()));
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
}  // namespace twofold::mqtt_auth::testing
