#include "mqtt_auth/access_policy.h"

#include <gtest/gtest.h>

#include "mqtt_auth/topics.h"
#include "statements.h"

namespace twofold::mqtt_auth {
namespace {

using testing::group_id;
using testing::key_of;
using testing::signed_statement;

constexpr std::uint64_t kNowS = 1'800'000'000;
constexpr std::uint64_t kNow = kNowS * 1000;
constexpr std::uint64_t kGraceMs = 5'000;

struct AccessPolicyTest : ::testing::Test {
    crypto::SigningKey gms = crypto::SigningKey::generate();
    crypto::SigningKey alice_key = crypto::SigningKey::generate();
    crypto::SigningKey bob_key = crypto::SigningKey::generate();
    std::string alice = key_of(alice_key), bob = key_of(bob_key);
    crypto::SigningKey carol_key = crypto::SigningKey::generate();
    std::string carol() const { return key_of(carol_key); }
    std::string group = group_id('g');
    std::string topic = group_topic(group);
    AccessPolicy policy{gms.public_key(), kGraceMs};

    Status present(const std::string& member, std::uint64_t epoch, std::uint64_t expires = kNowS + 3600,
                   std::uint64_t now = kNow) {
        return policy.present_statement(group, signed_statement(gms, group, member, epoch, expires), now);
    }
};

TEST_F(AccessPolicyTest, MemberWithStatementMayPublishSubscribeAndReceive) {
    EXPECT_FALSE(policy.may_publish(alice, topic, kNow));
    EXPECT_FALSE(policy.may_subscribe(alice, topic, kNow));
    ASSERT_TRUE(present(alice, 3));
    EXPECT_TRUE(policy.may_publish(alice, topic, kNow));
    EXPECT_TRUE(policy.may_subscribe(alice, topic, kNow));
    EXPECT_TRUE(policy.may_receive(alice, topic, std::nullopt, kNow));
    EXPECT_FALSE(policy.may_receive(bob, topic, std::nullopt, kNow)) << "alice's statement admits alice only";
    EXPECT_FALSE(policy.may_publish(alice, group_topic(group_id('h')), kNow)) << "and only for its group";
}

TEST_F(AccessPolicyTest, StatementsThatAreNotTheGmsWordForThisKeyAndGroupAreRefused) {
    const auto forger = crypto::SigningKey::generate();
    auto forged = policy.present_statement(group, signed_statement(forger, group, alice, 3, kNowS + 60), kNow);
    ASSERT_FALSE(forged);
    EXPECT_NE(forged.error().message.find("signature does not verify"), std::string::npos);
    auto other_group =
        policy.present_statement(group, signed_statement(gms, group_id('h'), alice, 3, kNowS + 60), kNow);
    ASSERT_FALSE(other_group);
    EXPECT_NE(other_group.error().message.find("another group"), std::string::npos);
    auto expired = present(alice, 3, kNowS);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().code, Errc::stale_epoch);
    EXPECT_FALSE(policy.may_subscribe(alice, topic, kNow)) << "nothing refused was recorded";
}

// A statement is the GMS's word about the key it names, whoever shows it: a member presents a
// joiner's, and that admits the joiner, not the presenter.
TEST_F(AccessPolicyTest, AStatementShownByAnotherClientAdmitsTheKeyItNames) {
    Recorded recorded;
    ASSERT_TRUE(policy.present_statement(group, signed_statement(gms, group, bob, 3, kNowS + 60), kNow, &recorded));
    EXPECT_EQ(recorded.member, bob);
    EXPECT_TRUE(policy.may_subscribe(bob, topic, kNow));
    EXPECT_FALSE(policy.may_subscribe(alice, topic, kNow));
}

TEST_F(AccessPolicyTest, GarbageAndOversizedStatementsAreRefusedByName) {
    auto garbage = policy.present_statement(group, "\xff\xff\xff not protobuf", kNow);
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().code, Errc::malformed);
    v1::MembershipStatement short_key;
    short_key.set_group_id(group);
    short_key.set_identity_key("short");
    auto shape = policy.present_statement(group, short_key.SerializeAsString(), kNow);
    ASSERT_FALSE(shape);
    EXPECT_EQ(shape.error().code, Errc::malformed);
    auto big = policy.present_statement(group, std::string(kStatementMaxBytes + 1, 'x'), kNow);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, Errc::too_large);
}

TEST_F(AccessPolicyTest, ExpiryEndsAccessThatWasGranted) {
    ASSERT_TRUE(present(alice, 3, kNowS + 10));
    EXPECT_TRUE(policy.may_receive(alice, topic, std::nullopt, kNow + 9'999));
    auto later = policy.may_receive(alice, topic, std::nullopt, kNow + 10'000);
    ASSERT_FALSE(later);
    EXPECT_NE(later.error().message.find("expired"), std::string::npos);
    EXPECT_FALSE(policy.may_publish(alice, topic, kNow + 10'000));
}

// The membership's own validity (statement field 9), not only the statement's expiry: a
// statement past it is refused when presented, and one held ends access when it passes.
TEST_F(AccessPolicyTest, TheMembersValidityEndsAccessBeforeTheStatementExpires) {
    auto past = policy.present_statement(group, signed_statement(gms, group, alice, 3, kNowS + 3600, kNowS),
                                         kNow);
    ASSERT_FALSE(past);
    EXPECT_EQ(past.error().code, Errc::stale_epoch);
    EXPECT_NE(past.error().message.find("membership of alice expired at"), std::string::npos) << past.error().message;
    ASSERT_TRUE(policy.present_statement(group, signed_statement(gms, group, alice, 3, kNowS + 3600, kNowS + 5),
                                         kNow));
    EXPECT_TRUE(policy.may_receive(alice, topic, std::nullopt, kNow + 4'999));
    EXPECT_FALSE(policy.may_receive(alice, topic, std::nullopt, kNow + 5'000));
    EXPECT_FALSE(policy.may_publish(alice, topic, kNow + 5'000));
}

TEST_F(AccessPolicyTest, NewerEpochFromAnotherMemberEndsTheOlderStatementAfterTheGrace) {
    ASSERT_TRUE(present(alice, 3));
    ASSERT_TRUE(present(bob, 4, kNowS + 3600, kNow + 1'000));  // alice removed at epoch 4
    EXPECT_TRUE(policy.may_receive(alice, topic, std::nullopt, kNow + 1'000 + kGraceMs - 1)) << "within the grace";
    auto after = policy.may_receive(alice, topic, std::nullopt, kNow + 1'000 + kGraceMs);
    ASSERT_FALSE(after);
    EXPECT_NE(after.error().message.find("superseded"), std::string::npos);
    EXPECT_TRUE(policy.may_receive(bob, topic, std::nullopt, kNow + 1'000 + kGraceMs));
    EXPECT_FALSE(present(alice, 3, kNowS + 3600, kNow + 1'000 + kGraceMs)) << "showing it again does not help";
}

TEST_F(AccessPolicyTest, AnOlderStatementDoesNotReplaceANewerOne) {
    ASSERT_TRUE(present(alice, 4));
    ASSERT_TRUE(present(alice, 3, kNowS + 3600, kNow + 1));  // within the grace: accepted, not recorded
    EXPECT_TRUE(policy.may_receive(alice, topic, std::nullopt, kNow + kGraceMs + 10));
}

TEST_F(AccessPolicyTest, MailboxesAreWritableByAnyoneAndReadableByTheirOwnerOnly) {
    EXPECT_TRUE(policy.may_subscribe(alice, mailbox_topic(alice), kNow));
    EXPECT_TRUE(policy.may_receive(alice, mailbox_topic(alice), std::nullopt, kNow));
    EXPECT_TRUE(policy.may_publish(bob, mailbox_topic(alice), kNow));
    EXPECT_FALSE(policy.may_subscribe(bob, mailbox_topic(alice), kNow));
    EXPECT_FALSE(policy.may_receive(bob, mailbox_topic(alice), std::nullopt, kNow));
}

TEST_F(AccessPolicyTest, StatementTopicsWildcardsAndOtherTopicsAreRefused) {
    ASSERT_TRUE(present(alice, 3));
    for (const std::string& t :
         {statement_topic(group), std::string("twofold/v1/#"), std::string("twofold/v1/g/+"), std::string("#"),
          std::string("other/topic"), topic + "/x", std::string("twofold/v1/g/") + std::string(32, 'G')}) {
        EXPECT_FALSE(policy.may_subscribe(alice, t, kNow)) << t;
        EXPECT_FALSE(policy.may_receive(alice, t, std::nullopt, kNow)) << t;
        EXPECT_FALSE(policy.may_publish(alice, t, kNow)) << t;
    }
}

}  // namespace
}  // namespace twofold::mqtt_auth

namespace twofold::mqtt_auth {
namespace {

// member_since 1 in every statement of statements.h; these use their own.
struct StampedDeliveryTest : AccessPolicyTest {
    Status present_since(const std::string& member, std::uint64_t epoch, std::uint64_t member_since,
                         std::uint64_t expires, std::uint64_t valid_until = 0) {
        v1::MembershipStatement st;
        EXPECT_TRUE(st.ParseFromString(signed_statement(gms, group, member, epoch, expires, valid_until)));
        st.set_member_since(member_since);
        wire::sign_statement(st, gms);
        return policy.present_statement(group, st.SerializeAsString(), kNow);
    }
};

TEST_F(StampedDeliveryTest, NothingFromBeforeTheMembershipIsHandedOverOrQueued) {
    ASSERT_TRUE(present_since(bob, 5, 5, kNowS + 3600));
    EXPECT_TRUE(policy.may_receive(bob, topic, 5, kNow));
    EXPECT_TRUE(policy.may_queue(bob, topic, 6, kNow));
    auto old = policy.may_receive(bob, topic, 4, kNow);
    ASSERT_FALSE(old);
    EXPECT_NE(old.error().message.find("before this membership"), std::string::npos) << old.error().message;
    EXPECT_FALSE(policy.may_queue(bob, topic, 4, kNow));
    EXPECT_TRUE(policy.may_receive(bob, topic, std::nullopt, kNow)) << "unstamped: judged by the statement alone";
}

// The member is away: its statement expires, or the group moves on, and it cannot present a new
// one. Its session is still filled; what it is handed when back is decided by then.
TEST_F(StampedDeliveryTest, AnAbsentMembersQueueIsFilledAfterItsStatementExpired) {
    ASSERT_TRUE(present_since(bob, 2, 2, kNowS + 10));
    const std::uint64_t later = kNow + 3600'000;
    EXPECT_FALSE(policy.may_receive(bob, topic, 2, later)) << "handing over needs a statement good now";
    EXPECT_TRUE(policy.may_queue(bob, topic, 2, later));
    ASSERT_TRUE(present_since(alice, 3, 1, kNowS + 3600));  // a join: epoch 3, bob's 2 superseded
    EXPECT_TRUE(policy.may_queue(bob, topic, 3, later + kGraceMs));
    EXPECT_FALSE(policy.may_queue(bob, topic, std::nullopt, later)) << "unstamped: as before";
    EXPECT_FALSE(policy.may_queue(alice, mailbox_topic(bob), std::nullopt, later)) << "mailboxes stay their owner's";
}

TEST_F(StampedDeliveryTest, QueueingEndsAtTheRetentionAndAtTheMembershipsValidity) {
    AccessPolicy short_retention(gms.public_key(), kGraceMs, /*retention_ms=*/60'000);
    ASSERT_TRUE(short_retention.present_statement(group, signed_statement(gms, group, bob, 2, kNowS + 10), kNow));
    EXPECT_TRUE(short_retention.may_queue(bob, topic, 2, kNow + 10'000 + 59'999));
    EXPECT_FALSE(short_retention.may_queue(bob, topic, 2, kNow + 10'000 + 60'000));
    ASSERT_TRUE(present_since(carol(), 2, 1, kNowS + 3600, /*valid_until=*/kNowS + 20));
    EXPECT_TRUE(policy.may_queue(carol(), topic, 2, kNow + 19'999));
    EXPECT_FALSE(policy.may_queue(carol(), topic, 2, kNow + 20'000)) << "the GMS removes it then";
}

TEST_F(StampedDeliveryTest, AJoinerIsCopiedPublicationsOfItsEpochsUntilItsSessionSubscribes) {
    ASSERT_TRUE(present_since(alice, 4, 1, kNowS + 3600));
    ASSERT_TRUE(policy.note_subscribed(alice, group));
    ASSERT_TRUE(present_since(bob, 5, 5, kNowS + 3600));  // presented by whoever admitted bob
    EXPECT_TRUE(policy.awaiting_subscription(group, 4, kNow).empty()) << "epoch 4 is from before bob";
    EXPECT_EQ(policy.awaiting_subscription(group, 5, kNow), std::vector<relay::MemberKey>{bob});
    EXPECT_TRUE(policy.awaiting_subscription(group_id('h'), 5, kNow).empty());
    EXPECT_TRUE(policy.note_subscribed(bob, group));
    EXPECT_FALSE(policy.note_subscribed(bob, group)) << "once";
    EXPECT_TRUE(policy.awaiting_subscription(group, 5, kNow).empty());
    ASSERT_TRUE(present_since(bob, 6, 5, kNowS + 3600));
    EXPECT_TRUE(policy.awaiting_subscription(group, 6, kNow).empty()) << "a newer statement: still subscribed";
}

TEST_F(StampedDeliveryTest, TheStampIsThePublishersStatementEpoch) {
    EXPECT_FALSE(policy.publisher_epoch(alice, group));
    ASSERT_TRUE(present_since(alice, 4, 1, kNowS + 3600));
    EXPECT_EQ(policy.publisher_epoch(alice, group), 4u);
}

}  // namespace
}  // namespace twofold::mqtt_auth
