// Who may deliver a rotation's RN1: only the member the GMS says claimed that generation.
#include "member/rn1_claims.h"

#include <gtest/gtest.h>

namespace twofold::member {
namespace {

struct Who {
    std::string account;
    crypto::SigningKey key = crypto::SigningKey::generate();
};

v1::Rn1Claim claim(std::uint64_t generation, const Who* by) {
    v1::Rn1Claim c;
    c.set_generation(generation);
    if (by != nullptr) {
        c.set_account(by->account);
        c.set_identity_key(std::string(by->key.public_key().begin(), by->key.public_key().end()));
    }
    return c;
}

google::protobuf::RepeatedPtrField<v1::Rn1Claim> claims(std::initializer_list<v1::Rn1Claim> list) {
    google::protobuf::RepeatedPtrField<v1::Rn1Claim> out;
    for (const auto& c : list) *out.Add() = c;
    return out;
}

std::string refusal(const Status& s) { return s.ok() ? "accepted" : s.error().message; }

class Rn1ClaimsTest : public ::testing::Test {
  protected:
    Who alice{"alice"}, bob{"bob"}, carol{"carol"};
    Rn1Claims known;
};

TEST_F(Rn1ClaimsTest, OnlyTheClaimerOfAGenerationDeliversIt) {
    ASSERT_TRUE(known.learn(3, claims({claim(1, &alice), claim(2, &bob), claim(3, &carol)})).ok());
    EXPECT_TRUE(known.check(3, carol.key.public_key(), "carol").ok());
    EXPECT_TRUE(known.check(2, bob.key.public_key(), "bob").ok()) << "an older generation within the grace";
    const Status forked = known.check(3, bob.key.public_key(), "bob");
    EXPECT_EQ(forked.error().code, Errc::forbidden);
    EXPECT_EQ(refusal(forked), "RN1 generation 3 was claimed at the GMS by carol, not by bob");
    EXPECT_EQ(refusal(known.check(1, bob.key.public_key(), "bob")),
              "RN1 generation 1 was claimed at the GMS by alice, not by bob");
}

TEST_F(Rn1ClaimsTest, AGenerationTheGmsDoesNotKnowIsRefused) {
    ASSERT_TRUE(known.learn(2, claims({claim(1, &alice), claim(2, &bob)})).ok());
    EXPECT_TRUE(known.should_ask(3)) << "newer than anything heard: ask the GMS first";
    EXPECT_FALSE(known.should_ask(2));
    EXPECT_FALSE(known.should_ask(1));
    const Status unclaimed = known.check(3, bob.key.public_key(), "bob");
    EXPECT_EQ(unclaimed.error().code, Errc::forbidden);
    EXPECT_EQ(refusal(unclaimed), "RN1 generation 3 from bob was not claimed at the GMS (its current generation is 2)");

    Rn1Claims nothing_heard;
    EXPECT_TRUE(nothing_heard.should_ask(1));
    EXPECT_EQ(refusal(nothing_heard.check(1, alice.key.public_key(), "alice")),
              "RN1 generation 1 from alice was not claimed at the GMS (its current generation is 0)");
}

// Only the current generation and the grace before it are kept; older ones are refused as stale
// (the member wipes those RN1s anyway), never taken from just anyone.
TEST_F(Rn1ClaimsTest, GenerationsPastTheGraceAreStale) {
    ASSERT_TRUE(known.learn(2, claims({claim(1, &alice), claim(2, &bob)})).ok());
    ASSERT_TRUE(known.learn(claim(3, &carol)).ok());  // a claim's answer
    ASSERT_TRUE(known.learn(claim(4, &alice)).ok());
    EXPECT_EQ(known.current(), 4u);
    EXPECT_TRUE(known.check(2, bob.key.public_key(), "bob").ok());
    const Status old = known.check(1, alice.key.public_key(), "alice");
    EXPECT_EQ(old.error().code, Errc::stale_epoch);
    EXPECT_EQ(refusal(old),
              "RN1 generation 1 from alice is older than the claims the GMS reports (its current "
              "generation is 4)");
}

// A generation claimed before the GMS recorded claimers comes without an account: any member's
// delivery of it is taken, as before; the claimer of a later one is checked.
TEST_F(Rn1ClaimsTest, GenerationsClaimedBeforeTheRecordAreOpen) {
    ASSERT_TRUE(known.learn(3, claims({claim(2, nullptr), claim(3, nullptr)})).ok());
    EXPECT_TRUE(known.check(3, bob.key.public_key(), "bob").ok());
    EXPECT_FALSE(known.should_ask(3));
    ASSERT_TRUE(known.learn(4, claims({claim(2, nullptr), claim(3, nullptr), claim(4, &carol)})).ok());
    EXPECT_EQ(refusal(known.check(4, bob.key.public_key(), "bob")),
              "RN1 generation 4 was claimed at the GMS by carol, not by bob");
}

// What the GMS said first about a generation stands; a malformed report changes nothing.
TEST_F(Rn1ClaimsTest, MalformedReportsAreRefusedWhole) {
    ASSERT_TRUE(known.learn(claim(1, &alice)).ok());
    v1::Rn1Claim short_key = claim(2, &bob);
    short_key.set_identity_key("short");
    EXPECT_EQ(refusal(known.learn(2, claims({claim(1, &alice), short_key}))), "rn1_claim.identity_key is not 32 bytes");
    EXPECT_EQ(known.current(), 1u);
    v1::Rn1Claim keyless = claim(2, &bob);
    keyless.clear_identity_key();
    EXPECT_FALSE(known.learn(keyless).ok());
    EXPECT_FALSE(known.learn(claim(0, &bob)).ok());
    EXPECT_EQ(refusal(known.learn(1, claims({claim(2, &bob)}))),
              "rn1_claim of generation 2 is past the current generation 1");
    EXPECT_TRUE(known.should_ask(2));

    ASSERT_TRUE(known.learn(1, claims({claim(1, &bob)})).ok());
    EXPECT_TRUE(known.check(1, alice.key.public_key(), "alice").ok()) << "the first word on generation 1 stands";
}

}  // namespace
}  // namespace twofold::member
