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
    std::string group = group_id('g');
    std::string topic = group_topic(group);
    AccessPolicy policy{gms.public_key(), kGraceMs};

    Status present(const std::string& member, std::uint64_t epoch, std::uint64_t expires = kNowS + 3600,
                   std::uint64_t now = kNow) {
        return policy.present_statement(member, group, signed_statement(gms, group, member, epoch, expires), now);
    }
};

TEST_F(AccessPolicyTest, MemberWithStatementMayPublishSubscribeAndReceive) {
    EXPECT_FALSE(policy.may_publish(alice, topic, kNow));
    EXPECT_FALSE(policy.may_subscribe(alice, topic, kNow));
    ASSERT_TRUE(present(alice, 3));
    EXPECT_TRUE(policy.may_publish(alice, topic, kNow));
    EXPECT_TRUE(policy.may_subscribe(alice, topic, kNow));
    EXPECT_TRUE(policy.may_receive(alice, topic, kNow));
    EXPECT_FALSE(policy.may_receive(bob, topic, kNow)) << "alice's statement admits alice only";
    EXPECT_FALSE(policy.may_publish(alice, group_topic(group_id('h')), kNow)) << "and only for its group";
}

TEST_F(AccessPolicyTest, StatementsThatAreNotTheGmsWordForThisKeyAndGroupAreRefused) {
    const auto forger = crypto::SigningKey::generate();
    auto forged = policy.present_statement(alice, group, signed_statement(forger, group, alice, 3, kNowS + 60), kNow);
    ASSERT_FALSE(forged);
    EXPECT_NE(forged.error().message.find("signature does not verify"), std::string::npos);
    auto others = policy.present_statement(alice, group, signed_statement(gms, group, bob, 3, kNowS + 60), kNow);
    ASSERT_FALSE(others);
    EXPECT_NE(others.error().message.find("another identity key"), std::string::npos);
    auto other_group =
        policy.present_statement(alice, group, signed_statement(gms, group_id('h'), alice, 3, kNowS + 60), kNow);
    ASSERT_FALSE(other_group);
    EXPECT_NE(other_group.error().message.find("another group"), std::string::npos);
    auto expired = present(alice, 3, kNowS);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().code, Errc::stale_epoch);
    EXPECT_FALSE(policy.may_subscribe(alice, topic, kNow)) << "nothing refused was recorded";
}

TEST_F(AccessPolicyTest, GarbageAndOversizedStatementsAreRefusedByName) {
    auto garbage = policy.present_statement(alice, group, "\xff\xff\xff not protobuf", kNow);
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().code, Errc::malformed);
    v1::MembershipStatement short_key;
    short_key.set_group_id(group);
    short_key.set_identity_key("short");
    auto shape = policy.present_statement(alice, group, short_key.SerializeAsString(), kNow);
    ASSERT_FALSE(shape);
    EXPECT_EQ(shape.error().code, Errc::malformed);
    auto big = policy.present_statement(alice, group, std::string(kStatementMaxBytes + 1, 'x'), kNow);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, Errc::too_large);
}

TEST_F(AccessPolicyTest, ExpiryEndsAccessThatWasGranted) {
    ASSERT_TRUE(present(alice, 3, kNowS + 10));
    EXPECT_TRUE(policy.may_receive(alice, topic, kNow + 9'999));
    auto later = policy.may_receive(alice, topic, kNow + 10'000);
    ASSERT_FALSE(later);
    EXPECT_NE(later.error().message.find("expired"), std::string::npos);
    EXPECT_FALSE(policy.may_publish(alice, topic, kNow + 10'000));
}

// The membership's own validity (statement field 9), not only the statement's expiry: a
// statement past it is refused when presented, and one held ends access when it passes.
TEST_F(AccessPolicyTest, TheMembersValidityEndsAccessBeforeTheStatementExpires) {
    auto past = policy.present_statement(alice, group, signed_statement(gms, group, alice, 3, kNowS + 3600, kNowS),
                                         kNow);
    ASSERT_FALSE(past);
    EXPECT_EQ(past.error().code, Errc::stale_epoch);
    EXPECT_NE(past.error().message.find("membership of alice expired at"), std::string::npos) << past.error().message;
    ASSERT_TRUE(policy.present_statement(alice, group, signed_statement(gms, group, alice, 3, kNowS + 3600, kNowS + 5),
                                         kNow));
    EXPECT_TRUE(policy.may_receive(alice, topic, kNow + 4'999));
    EXPECT_FALSE(policy.may_receive(alice, topic, kNow + 5'000));
    EXPECT_FALSE(policy.may_publish(alice, topic, kNow + 5'000));
}

TEST_F(AccessPolicyTest, NewerEpochFromAnotherMemberEndsTheOlderStatementAfterTheGrace) {
    ASSERT_TRUE(present(alice, 3));
    ASSERT_TRUE(present(bob, 4, kNowS + 3600, kNow + 1'000));  // alice removed at epoch 4
    EXPECT_TRUE(policy.may_receive(alice, topic, kNow + 1'000 + kGraceMs - 1)) << "within the grace";
    auto after = policy.may_receive(alice, topic, kNow + 1'000 + kGraceMs);
    ASSERT_FALSE(after);
    EXPECT_NE(after.error().message.find("superseded"), std::string::npos);
    EXPECT_TRUE(policy.may_receive(bob, topic, kNow + 1'000 + kGraceMs));
    EXPECT_FALSE(present(alice, 3, kNowS + 3600, kNow + 1'000 + kGraceMs)) << "showing it again does not help";
}

TEST_F(AccessPolicyTest, AnOlderStatementDoesNotReplaceANewerOne) {
    ASSERT_TRUE(present(alice, 4));
    ASSERT_TRUE(present(alice, 3, kNowS + 3600, kNow + 1));  // within the grace: accepted, not recorded
    EXPECT_TRUE(policy.may_receive(alice, topic, kNow + kGraceMs + 10));
}

TEST_F(AccessPolicyTest, MailboxesAreWritableByAnyoneAndReadableByTheirOwnerOnly) {
    EXPECT_TRUE(policy.may_subscribe(alice, mailbox_topic(alice), kNow));
    EXPECT_TRUE(policy.may_receive(alice, mailbox_topic(alice), kNow));
    EXPECT_TRUE(policy.may_publish(bob, mailbox_topic(alice), kNow));
    EXPECT_FALSE(policy.may_subscribe(bob, mailbox_topic(alice), kNow));
    EXPECT_FALSE(policy.may_receive(bob, mailbox_topic(alice), kNow));
}

TEST_F(AccessPolicyTest, StatementTopicsWildcardsAndOtherTopicsAreRefused) {
    ASSERT_TRUE(present(alice, 3));
    for (const std::string& t :
         {statement_topic(group), std::string("twofold/v1/#"), std::string("twofold/v1/g/+"), std::string("#"),
          std::string("other/topic"), topic + "/x", std::string("twofold/v1/g/") + std::string(32, 'G')}) {
        EXPECT_FALSE(policy.may_subscribe(alice, t, kNow)) << t;
        EXPECT_FALSE(policy.may_receive(alice, t, kNow)) << t;
        EXPECT_FALSE(policy.may_publish(alice, t, kNow)) << t;
    }
}

}  // namespace
}  // namespace twofold::mqtt_auth
