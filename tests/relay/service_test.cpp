// The relay over loopback TLS, in process: mailboxes, fan-out, ordering, offline delivery after
// a reconnect and after a restart, duplicate suppression ids, refusals, and malformed input.
#include <gtest/gtest.h>

#include <set>

#include "relay_fixture.h"

namespace twofold::relay {
namespace {

using namespace std::chrono_literals;
using testing::group_id_for;
using testing::key_of;

constexpr auto kWait = 5s;
constexpr auto kQuiet = 300ms;

class RelayServiceTest : public testing::RelayFixture {
  protected:
    crypto::SigningKey alice_ = crypto::SigningKey::generate();
    crypto::SigningKey bob_ = crypto::SigningKey::generate();
    crypto::SigningKey carol_ = crypto::SigningKey::generate();
    const std::string group_ = group_id_for(1);

    static std::string payload_of(const v1::Envelope& e) { return e.payload(); }
};

TEST_F(RelayServiceTest, MailboxDelivery) {
    start();
    auto alice = member(alice_);
    auto bob = member(bob_);
    auto id = alice->send(as_bytes(key_of(bob_)), v1::ENVELOPE_TYPE_INVITATION, as_bytes(std::string("invite")));
    ASSERT_TRUE(id.ok()) << id.error().message;
    auto got = bob->receive(kWait);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->id(), *id);
    EXPECT_EQ(got->type(), v1::ENVELOPE_TYPE_INVITATION);
    EXPECT_EQ(got->sender_key(), key_of(alice_));
    EXPECT_EQ(got->payload(), "invite");
}

TEST_F(RelayServiceTest, FanOutInOrderToEveryMember) {
    start();
    auto alice = member(alice_);
    auto bob = member(bob_);
    auto carol = member(carol_);
    ASSERT_TRUE(bob->subscribe(as_bytes(group_), statement(group_, bob_)).ok());
    ASSERT_TRUE(carol->subscribe(as_bytes(group_), statement(group_, carol_)).ok());
    const auto st = statement(group_, alice_);
    constexpr int kMessages = 50;
    for (int i = 0; i < kMessages; ++i) {
        ASSERT_TRUE(alice->publish(as_bytes(group_), st, v1::ENVELOPE_TYPE_GROUP_MESSAGE,
                                   as_bytes("m" + std::to_string(i)))
                        .ok());
    }
    for (auto* c : {bob.get(), carol.get()}) {
        std::uint64_t last = 0;
        for (int i = 0; i < kMessages; ++i) {
            auto e = c->receive(kWait);
            ASSERT_TRUE(e.ok()) << e.error().message;
            EXPECT_EQ(e->payload(), "m" + std::to_string(i));
            EXPECT_GT(e->id(), last);
            last = e->id();
            const std::uint64_t ids[] = {e->id()};
            ASSERT_TRUE(c->ack(ids).ok());
        }
    }
    EXPECT_FALSE(alice->receive(kQuiet).ok());  // the sender is not sent its own envelope
}

TEST_F(RelayServiceTest, OfflineMemberReceivesWhatItMissedAfterReconnectAndRestart) {
    start();
    {
        auto bob = member(bob_);
        ASSERT_TRUE(bob->subscribe(as_bytes(group_), statement(group_, bob_)).ok());
    }
    auto alice = member(alice_);
    const auto st = statement(group_, alice_);
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(alice->publish(as_bytes(group_), st, v1::ENVELOPE_TYPE_GROUP_MESSAGE, as_bytes(std::to_string(i))).ok());
    }
    ASSERT_TRUE(alice->send(as_bytes(key_of(bob_)), v1::ENVELOPE_TYPE_RN1_DELIVERY, as_bytes(std::string("rn1"))).ok());
    alice.reset();
    stop();
    start();  // the same data directory
    auto bob = member(bob_);
    ASSERT_TRUE(bob->subscribe(as_bytes(group_), statement(group_, bob_)).ok());
    // The mailbox flows from authentication on, the group's envelopes from the subscribe on:
    // each in id order.
    std::vector<std::string> group;
    std::vector<std::string> mailbox;
    for (int i = 0; i < 6; ++i) {
        auto e = bob->receive(kWait);
        ASSERT_TRUE(e.ok()) << e.error().message;
        (e->group_id().empty() ? mailbox : group).push_back(e->payload());
    }
    EXPECT_EQ(group, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
    EXPECT_EQ(mailbox, (std::vector<std::string>{"rn1"}));
}

TEST_F(RelayServiceTest, UnacknowledgedEnvelopesComeAgainWithTheSameIds) {
    start();
    auto alice = member(alice_);
    std::set<std::uint64_t> sent;
    for (int i = 0; i < 3; ++i) {
        sent.insert(*alice->send(as_bytes(key_of(bob_)), v1::ENVELOPE_TYPE_WITHDRAWAL, as_bytes(std::to_string(i))));
    }
    EXPECT_EQ(sent.size(), 3u);  // distinct ids
    std::set<std::uint64_t> first;
    {
        auto bob = member(bob_);
        for (int i = 0; i < 3; ++i) first.insert(bob->receive(kWait)->id());
        const std::vector<std::uint64_t> one = {*first.begin()};
        ASSERT_TRUE(bob->ack(one).ok());
        EXPECT_FALSE(bob->receive(kQuiet).ok());  // lets the ack arrive before the close
    }
    EXPECT_EQ(first, sent);
    auto bob = member(bob_);
    std::set<std::uint64_t> again;
    for (int i = 0; i < 2; ++i) again.insert(bob->receive(kWait)->id());
    EXPECT_FALSE(bob->receive(kQuiet).ok());
    EXPECT_EQ(again, (std::set<std::uint64_t>{std::next(sent.begin()), sent.end()}));  // a receiver drops by id
}

TEST_F(RelayServiceTest, UnauthorisedPublishAndSubscribeAreRefused) {
    options_.core.grace_ms = 200;
    start();
    auto alice = member(alice_);
    auto bob = member(bob_);
    const std::string other = group_id_for(2);
    // A statement for another group, for another key, and one the GMS never signed.
    auto r1 = alice->publish(as_bytes(other), statement(group_, alice_), v1::ENVELOPE_TYPE_GROUP_MESSAGE, as_bytes(std::string("x")));
    ASSERT_FALSE(r1.ok());
    EXPECT_EQ(r1.error().code, Errc::forbidden);
    auto r2 = alice->subscribe(as_bytes(group_), statement(group_, bob_));
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().code, Errc::forbidden);
    testing::FakeGms impostor;
    auto r3 = alice->subscribe(as_bytes(group_), impostor.statement(group_, alice_, 9, ::time(nullptr) + 60));
    ASSERT_FALSE(r3.ok());
    EXPECT_NE(r3.error().message.find("not signed by the GMS"), std::string::npos);
    // Removal: bob is still at epoch 1 when epoch 2 appears; after the grace he is refused.
    ASSERT_TRUE(bob->subscribe(as_bytes(group_), statement(group_, bob_, 1)).ok());
    ASSERT_TRUE(alice->subscribe(as_bytes(group_), statement(group_, alice_, 2)).ok());
    std::this_thread::sleep_for(300ms);
    auto r4 = bob->publish(as_bytes(group_), statement(group_, bob_, 1), v1::ENVELOPE_TYPE_GROUP_MESSAGE, as_bytes(std::string("x")));
    ASSERT_FALSE(r4.ok());
    EXPECT_EQ(r4.error().code, Errc::stale_epoch);
    // ... and no longer receives the group's envelopes.
    ASSERT_TRUE(alice->publish(as_bytes(group_), statement(group_, alice_, 2), v1::ENVELOPE_TYPE_GROUP_MESSAGE, as_bytes(std::string("after"))).ok());
    EXPECT_FALSE(bob->receive(kQuiet).ok());
}

TEST_F(RelayServiceTest, MalformedInputGetsATypedErrorAndTheRelayKeepsServing) {
    options_.core.max_envelope_bytes = 4096;
    start();
    auto raw = RelayClient::connect_unauthenticated(options_.listen, service_->tls_fingerprint());
    ASSERT_TRUE(raw.ok());
    auto& c = **raw;
    // Before authentication.
    v1::RelayRequest early;
    early.mutable_send()->mutable_envelope()->set_recipient_key(key_of(bob_));
    auto a0 = c.request(early);
    ASSERT_FALSE(a0.ok());
    EXPECT_EQ(a0.error().code, Errc::auth_failed);
    ASSERT_TRUE(c.authenticate(alice_).ok());
    // Bytes that are not a RelayRequest.
    ASSERT_TRUE(c.transport().send(as_bytes(std::string("\xff\xff\xff\xff", 4))).ok());
    auto a1 = c.receive(kWait);
    ASSERT_FALSE(a1.ok());
    EXPECT_EQ(a1.error().code, Errc::malformed);
    // No body (an unknown request type).
    auto a2 = c.request(v1::RelayRequest());
    ASSERT_FALSE(a2.ok());
    EXPECT_NE(a2.error().message.find("unknown request type"), std::string::npos);
    // Wrong sizes, an unspecified type.
    v1::RelayRequest bad_key;
    bad_key.mutable_send()->mutable_envelope()->set_type(v1::ENVELOPE_TYPE_INVITATION);
    bad_key.mutable_send()->mutable_envelope()->set_recipient_key("short");
    auto a3 = c.request(bad_key);
    ASSERT_FALSE(a3.ok());
    EXPECT_NE(a3.error().message.find("recipient_key"), std::string::npos);
    v1::RelayRequest no_type;
    no_type.mutable_send()->mutable_envelope()->set_recipient_key(key_of(bob_));
    EXPECT_EQ(c.request(no_type).error().code, Errc::malformed);
    // An oversized envelope (the frame itself is within limits).
    auto a4 = c.send(as_bytes(key_of(bob_)), v1::ENVELOPE_TYPE_INVITATION, Bytes(4097, 1));
    ASSERT_FALSE(a4.ok());
    EXPECT_EQ(a4.error().code, Errc::too_large);
    // Still served on the same connection.
    EXPECT_TRUE(c.send(as_bytes(key_of(bob_)), v1::ENVELOPE_TYPE_INVITATION, Bytes(10, 1)).ok());
    // An oversized frame breaks the stream: an error, then the connection closes ...
    ASSERT_TRUE(c.transport().send_raw(Bytes{0x7f, 0xff, 0xff, 0xff}).ok());
    auto a5 = c.receive(kWait);
    ASSERT_FALSE(a5.ok());
    EXPECT_EQ(a5.error().code, Errc::too_large);
    // ... and everyone else is still served.
    auto bob = member(bob_);
    ASSERT_TRUE(bob);
    EXPECT_EQ(bob->receive(kWait)->payload(), std::string(10, '\x01'));
}

TEST_F(RelayServiceTest, WrongRelayFingerprintIsRefusedByTheClient) {
    start();
    auto c = RelayClient::connect(options_.listen, "sha256:" + std::string(64, 'a'), alice_);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, Errc::auth_failed);
}

}  // namespace
}  // namespace twofold::relay
