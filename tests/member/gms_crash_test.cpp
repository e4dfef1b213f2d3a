// Keys a member needs survive a GMS crash (issue 11 §2): real twofold-gms and twofold-relay
// processes, members through the library. bob syncs and goes offline; two rekeys of one kind (a
// timed renewal, a join, a removal) each start an epoch alice sends in; the GMS is SIGKILLed and
// restarted on its data directory, and renews at once (its schedule did not survive either);
// alice sends again. bob then syncs and must read every message: the epochs that ended before
// the crash open only with the recent RN2s the GMS stored, sealed, beside the group's keys.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "deployment.h"
#include "twofold/member.h"

namespace twofold::testing {
namespace {

using namespace std::chrono_literals;

std::vector<Event> sync(Member& m) {
    auto events = m.sync();
    EXPECT_TRUE(events.ok()) << m.account() << " sync: " << events.error().message;
    return events.ok() ? *events : std::vector<Event>{};
}

std::uint64_t rn2_epoch(Member& m, const std::string& group) {
    auto all = m.groups();
    EXPECT_TRUE(all.ok()) << all.error().message;
    if (all.ok()) {
        for (const auto& g : *all) {
            if (g.name == group) return g.rn2_epoch;
        }
    }
    ADD_FAILURE() << m.account() << " holds no group " << group;
    return 0;
}

// The member's RN2 epoch once it is past `after` (a timed renewal came), or 0 on timeout.
std::uint64_t wait_for_epoch_after(Member& m, const std::string& group, std::uint64_t after,
                                   std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        sync(m);
        if (const std::uint64_t e = rn2_epoch(m, group); e > after) return e;
        std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << m.account() << " saw no RN2 epoch after " << after;
    return 0;
}

// Fig. 7, as e2e_test.cpp does it: invite, accept, the inviter's sync, the invitee's sync.
void join(Member& inviter, Member& invitee, const std::string& group) {
    ASSERT_TRUE(inviter.invite(group, invitee.account(), Rights{}).ok());
    ASSERT_TRUE(invitee.accept(inviter.account()).ok());
    sync(inviter);
    sync(invitee);
    ASSERT_EQ(rn2_epoch(invitee, group), rn2_epoch(inviter, group)) << invitee.account() << " did not join";
}

class GmsCrash : public ::testing::Test {
  protected:
    static constexpr const char* kGroup = "crash";

    void SetUp() override {
        ASSERT_TRUE(d.start());
        alice = d.member("alice");
        bob = d.member("bob");
        carol = d.member("carol");
        dave = d.member("dave");
        ASSERT_TRUE(alice && bob && carol && dave);
    }

    void create_group_with_bob(std::uint32_t rn2_interval_seconds) {
        ASSERT_TRUE(alice->create_group(kGroup, GroupPolicyOptions{rn2_interval_seconds, 0, false}).ok());
        ASSERT_NO_FATAL_FAILURE(join(*alice, *bob, kGroup));
    }

    // bob's last sync: from here on he is offline (his object is gone).
    void bob_goes_offline() {
        sync(*bob);
        bob_epoch = rn2_epoch(*bob, kGroup);
        bob.reset();
    }

    // alice sends `text` in the epoch she is at, which must be past the last one she sent in.
    void alice_sends(const std::string& text) {
        ASSERT_TRUE(alice->send(kGroup, text).ok());
        const std::uint64_t e = rn2_epoch(*alice, kGroup);
        ASSERT_GT(e, sent_epochs.empty() ? bob_epoch : sent_epochs.back()) << text << " was not sent in a new epoch";
        sent.push_back(text);
        sent_epochs.push_back(e);
    }

    // SIGKILL, then the same binary on the same data directory and port; it renews at once.
    void crash_and_restart() {
        const std::uint16_t port = d.gms_port();
        alice.reset();  // her connection would die with the GMS; she comes back as bob will
        d.kill_gms();
        ASSERT_TRUE(d.start_gms(port));
        alice = d.reopen("alice");
        ASSERT_TRUE(alice);
        ASSERT_GT(wait_for_epoch_after(*alice, kGroup, sent_epochs.back(), 10s), 0u);
    }

    // bob comes back and syncs: every message alice sent, each in the epoch she sent it in.
    void bob_reads_everything() {
        bob = d.reopen("bob");
        ASSERT_TRUE(bob);
        std::vector<std::string> read;
        std::vector<std::uint64_t> epochs;
        std::string refused;
        for (const Event& e : sync(*bob)) {
            if (e.kind == Event::Kind::message) {
                read.push_back(e.text);
                epochs.push_back(e.rn2_epoch);
            } else if (e.kind != Event::Kind::notice) {
                refused += "\n  " + e.text;
            }
        }
        EXPECT_EQ(read, sent) << "refused or missing:" << refused;
        EXPECT_EQ(epochs, sent_epochs);
    }

    Deployment d;
    std::unique_ptr<Member> alice, bob, carol, dave;
    std::uint64_t bob_epoch = 0;
    std::vector<std::string> sent;
    std::vector<std::uint64_t> sent_epochs;
};

// (a) Timed renewals. The interval is short enough to wait for two, long enough that bob syncs
// before the one after the restart's renewal would push the first epoch out of the kept two.
TEST_F(GmsCrash, TimedRenewalsBeforeTheCrash) {
    constexpr std::uint32_t kInterval = 6;
    ASSERT_NO_FATAL_FAILURE(create_group_with_bob(kInterval));
    ASSERT_NO_FATAL_FAILURE(bob_goes_offline());
    ASSERT_GT(wait_for_epoch_after(*alice, kGroup, bob_epoch, std::chrono::seconds(3 * kInterval)), 0u);
    ASSERT_NO_FATAL_FAILURE(alice_sends("in the first renewal's epoch"));
    ASSERT_GT(wait_for_epoch_after(*alice, kGroup, sent_epochs.back(), std::chrono::seconds(3 * kInterval)), 0u);
    ASSERT_NO_FATAL_FAILURE(alice_sends("in the second renewal's epoch"));
    ASSERT_NO_FATAL_FAILURE(crash_and_restart());
    ASSERT_NO_FATAL_FAILURE(alice_sends("after the restart"));
    ASSERT_NO_FATAL_FAILURE(bob_reads_everything());
}

// (b) Joins: carol's, then dave's.
TEST_F(GmsCrash, JoinsBeforeTheCrash) {
    ASSERT_NO_FATAL_FAILURE(create_group_with_bob(3600));
    ASSERT_NO_FATAL_FAILURE(bob_goes_offline());
    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, kGroup));
    ASSERT_NO_FATAL_FAILURE(alice_sends("after carol joined"));
    ASSERT_NO_FATAL_FAILURE(join(*alice, *dave, kGroup));
    ASSERT_NO_FATAL_FAILURE(alice_sends("after dave joined"));
    ASSERT_NO_FATAL_FAILURE(crash_and_restart());
    ASSERT_NO_FATAL_FAILURE(alice_sends("after the restart"));
    ASSERT_NO_FATAL_FAILURE(bob_reads_everything());
}

// (c) Removals: carol's, then dave's (both joined before bob's last sync).
TEST_F(GmsCrash, RemovalsBeforeTheCrash) {
    ASSERT_NO_FATAL_FAILURE(create_group_with_bob(3600));
    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, kGroup));
    ASSERT_NO_FATAL_FAILURE(join(*alice, *dave, kGroup));
    ASSERT_NO_FATAL_FAILURE(bob_goes_offline());
    ASSERT_TRUE(alice->remove(kGroup, "carol").ok());
    ASSERT_NO_FATAL_FAILURE(alice_sends("after carol was removed"));
    ASSERT_TRUE(alice->remove(kGroup, "dave").ok());
    ASSERT_NO_FATAL_FAILURE(alice_sends("after dave was removed"));
    ASSERT_NO_FATAL_FAILURE(crash_and_restart());
    ASSERT_NO_FATAL_FAILURE(alice_sends("after the restart"));
    ASSERT_NO_FATAL_FAILURE(bob_reads_everything());
}

}  // namespace
}  // namespace twofold::testing
