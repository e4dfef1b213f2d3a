// What a member does with a signed rekey, whatever path brought it: apply, drop a duplicate, or
// refuse with the reason.
#include "member/rekey_acceptance.h"

#include <gtest/gtest.h>

#include "wire/signed_rekey.h"

namespace twofold::member {
namespace {

const std::string kGroup(16, '\x05');
const std::string kOtherGroup(16, '\x06');

v1::SignedRekey rekey_of(const crypto::SigningKey& gms, const std::string& group, std::uint64_t epoch) {
    v1::Rekey r;
    r.set_group_id(group);
    r.set_epoch(epoch);
    r.set_membership_epoch(1);
    r.set_lkh_message("lkh");
    return wire::sign_rekey(std::move(r), gms);
}

std::string refusal(const Result<RekeyUse>& r) { return r.ok() ? "accepted" : r.error().message; }

struct RekeyAcceptance : ::testing::Test {
    crypto::SigningKey gms = crypto::SigningKey::generate();
};

TEST_F(RekeyAcceptance, TheNextEpochAndLaterAreApplied) {
    EXPECT_EQ(*accept_rekey(rekey_of(gms, kGroup, 4), gms.public_key(), kGroup, {3, 3}), RekeyUse::apply);
    EXPECT_EQ(*accept_rekey(rekey_of(gms, kGroup, 9), gms.public_key(), kGroup, {3, 3}), RekeyUse::apply);
    EXPECT_EQ(*accept_rekey(rekey_of(gms, kGroup, 1), gms.public_key(), kGroup, {}), RekeyUse::apply);
}

TEST_F(RekeyAcceptance, ACopyOfAHeldEpochIsADuplicate) {
    EXPECT_EQ(*accept_rekey(rekey_of(gms, kGroup, 4), gms.public_key(), kGroup, {4, 4}), RekeyUse::duplicate);
    // A late copy of an epoch whose RN2 the grace period still holds (a relay's backfill after an
    // inquiry, or the slower of two paths).
    EXPECT_EQ(*accept_rekey(rekey_of(gms, kGroup, 3), gms.public_key(), kGroup, {2, 4}), RekeyUse::duplicate);
}

TEST_F(RekeyAcceptance, ABadSignatureIsRefused) {
    const auto forger = crypto::SigningKey::generate();
    const auto r = accept_rekey(rekey_of(forger, kGroup, 4), gms.public_key(), kGroup, {3, 3});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::auth_failed);
    EXPECT_EQ(refusal(r), "rekey signature does not verify with the GMS key");
    v1::SignedRekey tampered = rekey_of(gms, kGroup, 4);
    tampered.mutable_rekey()->set_epoch(5);
    EXPECT_EQ(accept_rekey(tampered, gms.public_key(), kGroup, {3, 3}).error().code, Errc::auth_failed);
}

TEST_F(RekeyAcceptance, AnotherGroupsRekeyIsRefused) {
    const auto r = accept_rekey(rekey_of(gms, kOtherGroup, 4), gms.public_key(), kGroup, {3, 3});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::forbidden);
    EXPECT_EQ(refusal(r), "rekey is for another group");
}

TEST_F(RekeyAcceptance, APassedEpochIsRefused) {
    const auto r = accept_rekey(rekey_of(gms, kGroup, 2), gms.public_key(), kGroup, {3, 4});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::stale_epoch);
    EXPECT_EQ(refusal(r), "rekey of RN2 epoch 2 is older than epoch 3 this member holds (a replay)");
}

}  // namespace
}  // namespace twofold::member
