// Multicast sessions: scopes, address ranges, group addresses and signed announcements.
#include "lan/session.h"

#include <gtest/gtest.h>

#include <set>

#include "crypto/random.h"

namespace twofold::lan {
namespace {

std::string group_id(std::uint8_t fill) { return std::string(16, static_cast<char>(fill)); }

TEST(LanScope, TtlThresholdsAreTheMboneOnes) {
    EXPECT_EQ(static_cast<int>(*parse_scope("subnet")), 1);
    EXPECT_EQ(static_cast<int>(*parse_scope("site")), 15);
    EXPECT_EQ(static_cast<int>(*parse_scope("region")), 63);
    EXPECT_EQ(static_cast<int>(*parse_scope("world")), 127);
    auto bad = parse_scope("galaxy");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("galaxy"), std::string::npos);
}

TEST(LanRange, AcceptsOnlyTheAdministrativelyScopedBlock) {
    auto r = parse_range("239.255.0.0/16");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->base, 0xefff0000u);
    EXPECT_EQ(r->prefix_length, 16);
    EXPECT_TRUE(parse_range("239.0.0.0/8"));
    EXPECT_FALSE(parse_range("224.0.1.0/24"));   // globally scoped
    EXPECT_FALSE(parse_range("10.0.0.0/8"));     // not multicast at all
    EXPECT_FALSE(parse_range("239.255.0.1/16")); // host bits
    EXPECT_FALSE(parse_range("239.255.0.0/31")); // no room for a group
    EXPECT_FALSE(parse_range("239.255.0.0"));
    EXPECT_FALSE(parse_range("239.255.0/16"));
    EXPECT_FALSE(parse_range("239.256.0.0/16"));
}

TEST(LanRange, GroupAddressesStayInsideAndAvoidTheEnds) {
    const AddressRange range = *parse_range("239.255.7.0/30");  // 4 addresses: only .1 and .2 usable
    std::set<std::uint32_t> seen;
    for (int i = 0; i < 200; ++i) {
        const std::uint32_t a = group_address(range, group_id(static_cast<std::uint8_t>(i)));
        EXPECT_TRUE(a == 0xefff0701u || a == 0xefff0702u) << format_address(a);
        seen.insert(a);
    }
    EXPECT_EQ(seen.size(), 2u);
    const AddressRange wide = *parse_range("239.255.0.0/16");
    EXPECT_EQ(group_address(wide, group_id(1)), group_address(wide, group_id(1)));  // deterministic
    EXPECT_NE(group_address(wide, group_id(1)), group_address(wide, group_id(2)));
    EXPECT_EQ(format_address(0xefff0102u), "239.255.1.2");
}

class LanAnnouncement : public ::testing::Test {
  protected:
    crypto::SigningKey gms = crypto::SigningKey::generate();
    SessionPlan plan{*parse_range("239.255.0.0/16"), 7410, Scope::site};
    std::string gid = group_id(7);
};

TEST_F(LanAnnouncement, VerifiesForItsGroupWithinItsValidity) {
    const auto a = announce(plan, gid, 1000, 600, gms);
    EXPECT_EQ(a.ttl(), 15u);
    EXPECT_EQ(a.port(), 7410u);
    EXPECT_EQ(a.address(), group_address(plan.range, gid));
    EXPECT_TRUE(verify_announcement(a, gms.public_key(), gid, 1000));
    EXPECT_TRUE(verify_announcement(a, gms.public_key(), gid, 1599));
    auto late = verify_announcement(a, gms.public_key(), gid, 1600);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, Errc::stale_epoch);
    EXPECT_FALSE(verify_announcement(a, gms.public_key(), gid, 999));
}

TEST_F(LanAnnouncement, RefusesAnotherGroupsAnotherKeyAndEveryAlteredField) {
    const auto a = announce(plan, gid, 1000, 600, gms);
    auto other_group = verify_announcement(a, gms.public_key(), group_id(8), 1000);
    ASSERT_FALSE(other_group);
    EXPECT_EQ(other_group.error().code, Errc::forbidden);
    const auto impostor = crypto::SigningKey::generate();
    auto forged = verify_announcement(announce(plan, gid, 1000, 600, impostor), gms.public_key(), gid, 1000);
    ASSERT_FALSE(forged);
    EXPECT_EQ(forged.error().code, Errc::auth_failed);

    auto altered = [&](auto change) {
        v1::SessionAnnouncement b = a;
        change(b);
        return verify_announcement(b, gms.public_key(), gid, 1000);
    };
    EXPECT_EQ(altered([](auto& b) { b.set_address(b.address() + 1); }).error().code, Errc::auth_failed);
    EXPECT_EQ(altered([](auto& b) { b.set_port(7411); }).error().code, Errc::auth_failed);
    EXPECT_EQ(altered([](auto& b) { b.set_ttl(127); }).error().code, Errc::auth_failed);
    EXPECT_EQ(altered([](auto& b) { b.set_valid_until_unix(99999); }).error().code, Errc::auth_failed);
    EXPECT_EQ(altered([](auto& b) { b.set_address(0xe0000001u); }).error().code, Errc::malformed);
    EXPECT_EQ(altered([](auto& b) { b.set_group_id("short"); }).error().code, Errc::malformed);
    EXPECT_EQ(altered([](auto& b) { b.set_ttl(0); }).error().code, Errc::malformed);
}

}  // namespace
}  // namespace twofold::lan
