// Rekeys once per group through the relay (docs/rekey-delivery.md), with the real twofold-gms
// (publishing with --relay) and twofold-relay, members through the library: a member whose GMS
// connection delivers nothing follows a removal's rekey from the relay alone; a member that
// missed a rekey entirely catches up by RN2 inquiry; the copies by both paths are harmless.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "deployment.h"
#include "member_steps.h"
#include "tcp_proxy.h"

namespace twofold::testing {
namespace {

using namespace std::chrono_literals;
using Kind = Event::Kind;

constexpr const char* kGroup = "topic";

std::string gk_of(Member& m) {
    auto keys = m.current_keys(kGroup);
    EXPECT_TRUE(keys.ok()) << m.account() << ": " << keys.error().message;
    return keys.ok() ? keys->gk_hex : std::string();
}

// The RN2 epoch the member's store holds, read without a sync.
std::uint64_t stored_rn2_epoch(Member& m) {
    auto report = m.status();
    EXPECT_TRUE(report.ok()) << report.error().message;
    if (report.ok()) {
        for (const auto& g : report->groups) {
            if (g.name == kGroup) return g.rn2_epoch;
        }
    }
    ADD_FAILURE() << m.account() << " holds no group " << kGroup;
    return 0;
}

std::string log_of(const std::filesystem::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

bool refused_any(const std::vector<Event>& events) {
    for (const auto& e : events) {
        if (e.kind == Kind::refused) return true;
    }
    return false;
}

TEST(RekeyByRelay, AMemberCutOffFromTheGmsFollowsARemovalThroughTheRelayAlone) {
    Deployment d;
    ASSERT_TRUE(d.start_publishing_to_relay());
    auto alice = d.member("alice");
    auto carol = d.member("carol");
    // bob reaches the GMS only through a proxy the test can hold.
    TcpProxy proxy(d.gms_port());
    InitOptions bob_options = d.options("bob");
    bob_options.gms = "127.0.0.1:" + std::to_string(proxy.port());
    auto bob_init = Member::init(d.home("bob"), Deployment::passphrase_of("bob"), bob_options);
    ASSERT_TRUE(bob_init.ok()) << bob_init.error().message;
    auto bob = std::move(*bob_init);
    ASSERT_TRUE(alice->create_group(kGroup, GroupPolicyOptions{3600, 0, false}).ok());
    ASSERT_NO_FATAL_FAILURE(join(*alice, *bob, kGroup));
    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, kGroup));
    sync(*bob);
    const std::uint64_t before = info(*alice, kGroup).rn2_epoch;
    ASSERT_EQ(stored_rn2_epoch(*bob), before);

    // bob follows; once its loop runs, nothing from the GMS reaches it any more.
    std::atomic<bool> looping{false};
    std::atomic<bool> stop{false};
    std::vector<Event> followed;
    std::thread follower([&] {
        (void)bob->follow(
            std::nullopt, [&](const Event& e) { followed.push_back(e); }, nullptr,
            [&] {
                looping = true;
                return stop.load();
            },
            50ms);
    });
    for (int i = 0; i < 200 && !looping; ++i) std::this_thread::sleep_for(25ms);
    ASSERT_TRUE(looping.load());
    proxy.hold_replies(true);

    ASSERT_TRUE(alice->remove(kGroup, "carol").ok());
    sync(*alice);
    const std::uint64_t after = info(*alice, kGroup).rn2_epoch;
    ASSERT_GT(after, before);
    // The relay fans the GMS's one publication out within milliseconds on loopback; then the
    // GMS connection is closed with everything it held back (the push of that rekey included).
    std::this_thread::sleep_for(2s);
    proxy.hold_replies(false);
    std::this_thread::sleep_for(2s);
    stop = true;
    proxy.cut();
    follower.join();
    proxy.hold_replies(false);

    // bob's store is at the removal's epoch before it has talked to the GMS again.
    EXPECT_EQ(stored_rn2_epoch(*bob), after) << describe(followed) << "\n" << log_of(d.gms_dir() / "gms.log");
    // And derives the same GK as alice (the sync finds nothing to catch up on).
    const auto resumed = sync(*bob);
    EXPECT_FALSE(refused_any(resumed)) << describe(resumed);
    EXPECT_EQ(gk_of(*bob), gk_of(*alice));
    EXPECT_EQ(info(*bob, kGroup).rn2_epoch, after);
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
