// A membership that expires (issue 14, time-driven LKH), with the real twofold-gms and
// twofold-relay and members through the library: carol is invited for 3 s into a strict group.
// The GMS removes her on time by itself (its alarm, no request), rekeys as for a removal, alice
// rotates RN1 as on any removal, the others' GKs agree, and carol sees why she left and cannot
// open what is sent afterwards.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/validity.h"
#include "deployment.h"
#include "member_steps.h"

namespace twofold::testing {
namespace {

constexpr const char* kGroup = "for-a-while";

std::uint64_t now_unix() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::string gk_of(Member& m) {
    auto keys = m.current_keys(kGroup);
    EXPECT_TRUE(keys.ok()) << m.account() << ": " << keys.error().message;
    return keys.ok() ? keys->gk_hex : std::string();
}

std::optional<MemberInfo> listed(Member& m, const std::string& account) {
    auto list = m.members(kGroup);
    EXPECT_TRUE(list.ok()) << list.error().message;
    if (!list.ok()) return std::nullopt;
    for (const auto& e : *list) {
        if (e.account == account) return e;
    }
    return std::nullopt;
}

TEST(MembershipExpiry, AThreeSecondMemberIsRemovedOnTimeAndReadsNothingLater) {
    Deployment d;
    ASSERT_TRUE(d.start());
    auto alice = d.member("alice");
    auto bob = d.member("bob");
    auto carol = d.member("carol");
    GroupPolicyOptions policy{3600, 0, true};
    policy.max_validity_seconds = 3600;
    ASSERT_TRUE(alice->create_group(kGroup, policy).ok());
    ASSERT_NO_FATAL_FAILURE(join(*alice, *bob, kGroup));

    const std::uint64_t generation = info(*alice, kGroup).rn1_generation;
    ASSERT_TRUE(alice->invite(kGroup, "carol", {}, Validity{0, 3}).ok());
    ASSERT_TRUE(carol->accept("alice").ok());
    const std::uint64_t added_at = now_unix();
    const auto answered = sync(*alice);  // the GMS add, with the validity counted from now
    ASSERT_TRUE(has_event(answered, Kind::notice, "carol accepted")) << describe(answered);
    const auto joined = sync(*carol);
    ASSERT_TRUE(has_event(joined, Kind::notice, "joined " + std::string(kGroup))) << describe(joined);

    // carol's own record of her validity: the GMS's welcome told her (3 s from the add).
    const std::uint64_t until = info(*carol, kGroup).valid_until;
    EXPECT_GE(until, added_at + 3);
    EXPECT_LE(until, added_at + 5);
    EXPECT_GE(listed(*alice, "bob")->valid_until, until + 3500) << "bob, invited without one: the group's maximum";

    // Gone a moment after the end, with nobody asking (the core suite checks "not before":
    // tests/gms/expiry_test.cpp; here each operation of the debug build takes too long for it).
    while (now_unix() < until + 1) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(listed(*bob, "carol").has_value()) << "removed within a second of its validity's end";

    sync(*alice);  // strict: alice (may_remove) rotates RN1 for the removal, as on any removal
    const auto at_alice = recv(*alice, std::nullopt);  // whichever operation brought them
    EXPECT_GT(info(*alice, kGroup).rn1_generation, generation) << describe(at_alice);
    sync(*bob);
    EXPECT_EQ(gk_of(*alice), gk_of(*bob)) << "the members left agree on GK";

    ASSERT_TRUE(alice->send(kGroup, "after carol's time").ok());
    EXPECT_TRUE(message_with(recv(*bob, kGroup), "after carol's time"));
    const auto at_carol = recv(*carol, std::nullopt);
    EXPECT_TRUE(has_event(at_carol, Kind::notice,
                          "your membership in «" + std::string(kGroup) + "» expired at " +
                              validity::format_utc_time(until)))
        << describe(at_carol);
    EXPECT_EQ(message_with(at_carol, "after carol's time"), nullptr) << "forward secrecy from the expiry on";
    EXPECT_EQ(info(*carol, kGroup).state, "removed");
}

}  // namespace
}  // namespace twofold::testing
