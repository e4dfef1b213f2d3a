// A member's keys per epoch: GK exactly as the paper defines it, the RN2 inquiry and RN1
// delivery signals, and old halves wiped after the grace period.
#include "member/group_keys.h"

#include <gtest/gtest.h>

#include "crypto/sha256.h"
#include "lkh/key_tree.h"
#include "member/safety_number.h"

namespace twofold::member {
namespace {

const Bytes kGroup(16, 0x07);

struct Fixture {
    lkh::KeyTree tree{kGroup, 1};
    GroupKeys keys{*crypto::GroupName::parse("team")};

    Fixture() {
        auto state = tree.member_state(1);
        EXPECT_TRUE(state);
        auto parsed = lkh::MemberState::parse(state->span());
        EXPECT_TRUE(parsed);
        EXPECT_TRUE(keys.set_path(std::move(*parsed)));
    }
    void renew() { EXPECT_TRUE(keys.apply_rekey(tree.renew().message)); }
};

TEST(GroupKeysTest, ScheduleIsFromGkOfTheEpoch) {
    Fixture f;
    const crypto::Rn1 rn1 = crypto::make_rn1();
    ASSERT_TRUE(f.keys.add_rn1(1, rn1.clone()));
    ASSERT_TRUE(f.keys.ready());
    const EpochId epoch = *f.keys.current();
    EXPECT_EQ(epoch.rn1_generation, 1u);
    EXPECT_EQ(epoch.rn2_epoch, f.tree.epoch());

    // GK computed independently: SHA-256 over the three inputs laid end to end.
    Bytes input(rn1.span().begin(), rn1.span().end());
    const auto rn2 = f.keys.path()->rn2();
    input.insert(input.end(), rn2.begin(), rn2.end());
    for (char c : std::string("team")) input.push_back(static_cast<std::uint8_t>(c));
    const auto gk = crypto::sha256(input);
    const crypto::EpochKeySchedule expected(crypto::GroupKey::copy_of(gk));

    auto schedule = f.keys.schedule(epoch);
    ASSERT_TRUE(schedule);
    EXPECT_EQ(schedule->key_confirmation_id(), expected.key_confirmation_id());
}

TEST(GroupKeysTest, NewerEpochsNameWhatIsMissing) {
    Fixture f;
    ASSERT_TRUE(f.keys.add_rn1(1, crypto::make_rn1()));
    const EpochId now = *f.keys.current();
    auto rn2_ahead = f.keys.schedule({now.rn1_generation, now.rn2_epoch + 1});
    ASSERT_FALSE(rn2_ahead);
    EXPECT_EQ(rn2_ahead.error().code, Errc::unknown);
    EXPECT_NE(rn2_ahead.error().message.find("ask the GMS"), std::string::npos);
    auto rn1_ahead = f.keys.schedule({now.rn1_generation + 1, now.rn2_epoch});
    ASSERT_FALSE(rn1_ahead);
    EXPECT_NE(rn1_ahead.error().message.find("RN1 generation not received"), std::string::npos);
}

TEST(GroupKeysTest, OldEpochsOpenWithinTheGraceAndAreWipedAfter) {
    Fixture f;
    ASSERT_TRUE(f.keys.add_rn1(1, crypto::make_rn1()));
    const EpochId first = *f.keys.current();
    f.renew();
    f.renew();
    EXPECT_TRUE(f.keys.schedule(first));  // two rekeys later: still within the grace
    f.renew();
    auto late = f.keys.schedule(first);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, Errc::stale_epoch);
    EXPECT_NE(late.error().message.find("older than the grace period"), std::string::npos);
}

TEST(GroupKeysTest, Rn1GenerationsFollowTheSameGrace) {
    Fixture f;
    for (std::uint64_t g = 1; g <= 4; ++g) ASSERT_TRUE(f.keys.add_rn1(g, crypto::make_rn1()));
    const std::uint64_t rn2 = f.keys.current()->rn2_epoch;
    EXPECT_TRUE(f.keys.schedule({2, rn2}));
    EXPECT_EQ(f.keys.schedule({1, rn2}).error().code, Errc::stale_epoch);
    EXPECT_EQ(f.keys.add_rn1(1, crypto::make_rn1()).error().code, Errc::stale_epoch);
}

TEST(GroupKeysTest, TwoRn1sForOneGenerationAreRefused) {
    Fixture f;
    const crypto::Rn1 rn1 = crypto::make_rn1();
    ASSERT_TRUE(f.keys.add_rn1(1, rn1.clone()));
    EXPECT_TRUE(f.keys.add_rn1(1, rn1.clone()));  // the same delivery twice is harmless
    auto fork = f.keys.add_rn1(1, crypto::make_rn1());
    ASSERT_FALSE(fork);
    EXPECT_EQ(fork.error().code, Errc::auth_failed);
}

TEST(GroupKeysTest, AnOlderWelcomeIsRefused) {
    Fixture f;
    auto old_state = f.tree.member_state(1);
    ASSERT_TRUE(old_state);
    f.renew();
    auto parsed = lkh::MemberState::parse(old_state->span());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(f.keys.set_path(std::move(*parsed)).error().code, Errc::stale_epoch);
}

TEST(SafetyNumberTest, ThirtyDigitsInSixGroupsAndKeyDependent) {
    const auto a = crypto::SigningKey::generate();
    const auto b = crypto::SigningKey::generate();
    const std::string n = safety_number(a.public_key());
    ASSERT_EQ(n.size(), 35u);
    for (std::size_t i = 0; i < n.size(); ++i) {
        if (i % 6 == 5) {
            EXPECT_EQ(n[i], ' ');
        } else {
            EXPECT_TRUE(n[i] >= '0' && n[i] <= '9');
        }
    }
    EXPECT_EQ(n, safety_number(a.public_key()));
    EXPECT_NE(n, safety_number(b.public_key()));
}

}  // namespace
}  // namespace twofold::member
