// Offline delivery through mosquitto's persistent sessions (clean session off, QoS 1) with the
// plugin: across a broker restart, and for a member removed while it was away. mosquitto 2.0.11
// asks the plugin for read access at fan-out (subs.c subs__send, also for an offline session,
// whose queue it fills) and again for every queued message when a client reconnects
// (handle_connect.c connection_check_acl, before CONNACK): the plugin must know the member then,
// before it can present anything on the new connection.
#include "broker_fixture.h"

namespace twofold::mqtt_auth::testing {
namespace {

constexpr int kEnvelopes = 20;

class BrokerSessionTest : public BrokerTest {
  protected:
    explicit BrokerSessionTest(bool plugin_state = true) : BrokerTest(plugin_state) {}
    // bob: a persistent session subscribed to the group and his mailbox, then gone; alice
    // publishes `count` envelopes while he is away, each acknowledged (PUBACK).
    void queue_for_absent_bob(Identity& alice, Identity& bob, const std::string& prefix, int count = kEnvelopes) {
        {
            auto b = connect(bob, /*clean_session=*/false);
            present(*b, bob, 3, later);
            ASSERT_EQ(b->subscribe(topic), 1);
            ASSERT_EQ(b->subscribe(bob.mailbox()), 1);
        }
        auto a = connect(alice);
        present(*a, alice, 3, later);
        for (int i = 0; i < count; ++i) ASSERT_TRUE(a->publish(topic, prefix + std::to_string(i)));
        ASSERT_TRUE(a->publish(bob.mailbox(), prefix + "mailbox"));
    }
    std::vector<std::string> numbered(const std::string& prefix, int count = kEnvelopes) {
        std::vector<std::string> out;
        for (int i = 0; i < count; ++i) out.push_back(prefix + std::to_string(i));
        return out;
    }
};

TEST_F(BrokerSessionTest, AcknowledgedEnvelopesReachAnAbsentMemberAcrossABrokerRestart) {
    Identity alice{"alice"}, bob{"bob"};
    queue_for_absent_bob(alice, bob, "queued ");
    ASSERT_TRUE(broker.restart()) << broker.log();
    EXPECT_TRUE(broker.log_has("restored 2 statements"));
    // bob comes back with his session; he presents nothing before the broker hands him the queue.
    auto b = connect(bob, /*clean_session=*/false);
    ASSERT_TRUE(b->wait_for(bob.mailbox(), "queued mailbox"));
    // The group's envelopes were queued before the mailbox one, and come in order.
    ASSERT_TRUE(b->wait_for(topic, "queued " + std::to_string(kEnvelopes - 1)));
    EXPECT_EQ(b->received_on(topic), numbered("queued "));
    // The session's subscription survived too: new envelopes keep coming.
    auto a = connect(alice);
    ASSERT_TRUE(a->publish(topic, "after restart"));
    EXPECT_TRUE(b->wait_for(topic, "after restart"));
}

TEST_F(BrokerSessionTest, ARemovedMemberGetsNothingSentWhileItWasAway) {
    Identity alice{"alice"}, bob{"bob"}, carol{"carol"};
    queue_for_absent_bob(alice, bob, "before removal ", 2);
    // bob is removed while away: epoch 4 goes to alice and carol only; the grace passes.
    auto a = connect(alice);
    auto c = connect(carol);
    present(*a, alice, 4, later);
    present(*c, carol, 4, later);
    std::this_thread::sleep_for(1200ms);  // the broker's grace is 1 s
    ASSERT_TRUE(a->publish(topic, "after removal"));
    ASSERT_TRUE(a->publish(bob.mailbox(), "marker"));
    auto b = connect(bob, /*clean_session=*/false);
    ASSERT_TRUE(b->wait_for(bob.mailbox(), "marker"));
    EXPECT_FALSE(b->has(topic, "after removal"));
    // What was queued while he was a member is dropped too: his read access is checked again
    // when he reconnects, and his epoch is no longer good.
    EXPECT_EQ(b->received_on(topic), std::vector<std::string>{});
    EXPECT_TRUE(broker.log_has("epoch 3 was superseded"));
}

// Removed at epoch 4 while away, re-admitted at 5 (member_since 5; alice, who re-admitted him,
// presents his statement): his session was filled all along, but what he is handed is what his
// new membership covers, by the broker's stamp — not what was sent while he was out.
TEST_F(BrokerSessionTest, AReadmittedMemberGetsOnlyWhatFollowsItsReadmission) {
    Identity alice{"alice"}, bob{"bob"};
    queue_for_absent_bob(alice, bob, "member ", 1);
    auto a = connect(alice);
    present(*a, alice, 4, later);
    ASSERT_TRUE(a->publish(topic, "while out"));
    ASSERT_TRUE(a->publish(statement_topic(group), signed_statement(gms, group, bob.raw(), 5, later, 0, 5)));
    present(*a, alice, 5, later);
    ASSERT_TRUE(a->publish(topic, "after re-admission"));
    ASSERT_TRUE(a->publish(bob.mailbox(), "marker"));
    auto b = connect(bob, /*clean_session=*/false);
    ASSERT_TRUE(b->wait_for(bob.mailbox(), "marker"));
    ASSERT_TRUE(b->wait_for(topic, "after re-admission"));
    // Also not 'member 0', of his first membership and never acknowledged: as twofold-relay
    // withdraws a re-admitted member's rows of earlier epochs.
    EXPECT_EQ(b->received_on(topic), std::vector<std::string>{"after re-admission"});
    EXPECT_EQ(b->stamp_of("after re-admission"), 5u);
    EXPECT_TRUE(broker.log_has("sent before this membership: envelope of epoch 4, membership since epoch 5"));
}

// mosquitto queues a publication only for sessions subscribed when it arrives. carol's session
// exists (her mailbox) but has never subscribed to the group: once alice presents carol's
// statement (as the member who admitted her), the plugin copies the group's publications into
// carol's session; they stop when carol's session subscribes, and nothing comes twice.
TEST_F(BrokerSessionTest, AJoinersSessionGetsTheGroupsPublicationsUntilItSubscribes) {
    Identity alice{"alice"}, carol{"carol"};
    // A member's receiving session has the key itself as client id (mqtt_transport.cpp).
    const auto own_session = [&] {
        auto c = std::make_unique<Client>(broker, carol.username(), carol.username(), carol.token(), false);
        EXPECT_EQ(c->connack(), 0);
        return c;
    };
    {
        auto c = own_session();
        ASSERT_EQ(c->subscribe(carol.mailbox()), 1);
    }
    auto a = connect(alice);
    present(*a, alice, 5, later);
    ASSERT_TRUE(a->publish(topic, "before carol's admission"));
    ASSERT_TRUE(a->publish(statement_topic(group), signed_statement(gms, group, carol.raw(), 5, later, 0, 5)));
    ASSERT_TRUE(a->publish(topic, "for the joiner"));
    ASSERT_TRUE(a->publish(carol.mailbox(), "marker"));
    auto c = own_session();
    ASSERT_TRUE(c->wait_for(carol.mailbox(), "marker"));
    ASSERT_TRUE(c->wait_for(topic, "for the joiner"));
    ASSERT_EQ(c->subscribe(topic), 1);
    ASSERT_TRUE(a->publish(topic, "by subscription"));
    ASSERT_TRUE(c->wait_for(topic, "by subscription"));
    publish_then_mark(*a, carol.mailbox(), "last marker", *c, carol);
    EXPECT_EQ(c->received_on(topic), (std::vector<std::string>{"for the joiner", "by subscription"}));
}

// The copies skip the publisher, as twofold-relay's fan-out skips the sender: alice's own session
// has not subscribed to the group, yet what she publishes is not copied back to her.
TEST_F(BrokerSessionTest, APublisherIsNotCopiedItsOwnPublication) {
    Identity alice{"alice"};
    auto a = std::make_unique<Client>(broker, alice.username(), alice.username(), alice.token(), false);
    ASSERT_EQ(a->connack(), 0);
    ASSERT_EQ(a->subscribe(alice.mailbox()), 1);
    present(*a, alice, 5, later);
    publish_then_mark(*a, topic, "mine", *a, alice);
    EXPECT_EQ(a->received_on(topic), std::vector<std::string>{});
}

TEST_F(BrokerSessionTest, ARestartDoesNotMakeASupersededEpochCurrentAgain) {
    Identity alice{"alice"}, bob{"bob"};
    {
        auto a = connect(alice);
        present(*a, alice, 4, later);
    }
    std::this_thread::sleep_for(1200ms);  // epoch 3's grace passes
    ASSERT_TRUE(broker.restart()) << broker.log();
    auto b = connect(bob);
    present(*b, bob, 3, later);
    EXPECT_EQ(b->subscribe(topic), kRefused);
    EXPECT_TRUE(broker.log_has("is older than the group's epoch 4"));
}

// The reason for plugin_opt_state_file: without it the restarted plugin knows no member when bob
// reconnects, and mosquitto drops every group envelope queued for him (the mailbox's stay).
class BrokerWithoutStateTest : public BrokerSessionTest {
  protected:
    BrokerWithoutStateTest() : BrokerSessionTest(/*plugin_state=*/false) {}
};

TEST_F(BrokerWithoutStateTest, ARestartDropsTheQueuedGroupEnvelopes) {
    Identity alice{"alice"}, bob{"bob"};
    // Fewer than mosquitto's 20 in flight: dropping more at reconnect leaves their in-flight
    // slots counted (2.0.11 does not adjust the count), and the mailbox's wait behind them.
    queue_for_absent_bob(alice, bob, "queued ", 5);
    ASSERT_TRUE(broker.restart()) << broker.log();
    EXPECT_TRUE(broker.log_has("no plugin_opt_state_file"));
    auto b = connect(bob, /*clean_session=*/false);
    ASSERT_TRUE(b->wait_for(bob.mailbox(), "queued mailbox"));
    EXPECT_EQ(b->received_on(topic), std::vector<std::string>{});
    EXPECT_TRUE(broker.log_has("refused delivery of '" + topic + "' to client '" + bob.client_id() + "'"));
}

}  // namespace
}  // namespace twofold::mqtt_auth::testing
