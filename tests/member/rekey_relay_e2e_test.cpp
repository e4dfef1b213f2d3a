// Rekeys once per group through the relay (docs/rekey-delivery.md), with the real twofold-gms
// (publishing with --relay) and twofold-relay, members through the library: a member that
// missed a rekey on every path catches up by RN2 inquiry, and the relay's retained copies of
// what the inquiry covered are harmless duplicates.
#include <gtest/gtest.h>


#include "deployment.h"
#include "member_steps.h"

namespace twofold::testing {
namespace {

using Kind = Event::Kind;

constexpr const char* kGroup = "topic";

std::string gk_of(Member& m) {
    auto keys = m.current_keys(kGroup);
    EXPECT_TRUE(keys.ok()) << m.account() << ": " << keys.error().message;
    return keys.ok() ? keys->gk_hex : std::string();
}

bool refused_any(const std::vector<Event>& events) {
    for (const auto& e : events) {
        if (e.kind == Kind::refused) return true;
    }
    return false;
}

TEST(RekeyByRelay, AMemberThatMissedARekeyCatchesUpByInquiryAndDuplicatesAreHarmless) {
    Deployment d;
    ASSERT_TRUE(d.start());  // first without publication: a rekey bob can miss on every path
    auto alice = d.member("alice");
    auto bob = d.member("bob");
    auto carol = d.member("carol");
    auto dave = d.member("dave");
    ASSERT_TRUE(alice->create_group(kGroup, GroupPolicyOptions{3600, 0, false}).ok());
    for (Member* m : {bob.get(), carol.get(), dave.get()}) ASSERT_NO_FATAL_FAILURE(join(*alice, *m, kGroup));
    sync(*bob);
    bob.reset();  // offline

    ASSERT_TRUE(alice->remove(kGroup, "carol").ok());  // pushed to alice only: bob misses it
    sync(*alice);
    d.stop_gms();
    ASSERT_TRUE(d.start_gms(d.gms_port(), {"--relay", d.relay_endpoint(), "--relay-fingerprint",
                                           d.relay_fingerprint()}));
    ASSERT_TRUE(alice->remove(kGroup, "dave").ok());  // published: the relay holds it for bob
    sync(*alice);
    const std::uint64_t now = info(*alice, kGroup).rn2_epoch;

    bob = d.reopen("bob");
    ASSERT_NE(bob, nullptr);
    const auto events = sync(*bob);  // the GMS's table says bob is behind: RN2 inquiry
    EXPECT_FALSE(refused_any(events)) << describe(events);  // the relay's copy is a duplicate
    EXPECT_EQ(info(*bob, kGroup).rn2_epoch, now);
    EXPECT_EQ(gk_of(*bob), gk_of(*alice));
    const auto again = sync(*bob);
    EXPECT_FALSE(refused_any(again)) << describe(again);
}

}  // namespace
}  // namespace twofold::testing
