// Admissions that fail on the way (issue 11 §1b): the GMS dies before the inviter's add reaches
// it, or after it committed the add but before its answer returned; the GMS refuses on the
// merits; a member removed and admitted again. Real twofold-gms and twofold-relay processes; the
// inviter reaches the GMS through a TcpProxy, so the failure lands at an exact point.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "deployment.h"
#include "member_steps.h"
#include "tcp_proxy.h"

namespace twofold::testing {
namespace {

using namespace std::chrono_literals;

// The inviter, its GMS connection through `proxy`.
std::unique_ptr<Member> member_through(Deployment& d, TcpProxy& proxy, const std::string& account) {
    InitOptions o = d.options(account);
    o.gms = "127.0.0.1:" + std::to_string(proxy.port());
    auto m = Member::init(d.home(account), Deployment::passphrase_of(account), o);
    EXPECT_TRUE(m.ok()) << m.error().message;
    return m.ok() ? std::move(*m) : nullptr;
}

// Alice follows the group (connections open, the GMS used only when something needs it), bob
// accepts, and `fail` breaks alice's GMS connection while her add is in flight. Returns how
// alice's follow ended.
Status accept_while_the_gms_fails(Member& alice, Member& bob, const std::function<void()>& hold,
                                  const std::function<void()>& fail) {
    std::atomic<bool> stop{false};
    Status followed;
    std::thread follower([&] {
        followed = alice.follow(
            "ops", [](const Event&) {}, nullptr, [&] { return stop.load(); }, 20ms);
    });
    std::this_thread::sleep_for(500ms);  // the follow's first sync is done
    hold();
    EXPECT_TRUE(bob.accept("alice").ok());
    std::this_thread::sleep_for(1500ms);  // the acceptance reached alice; her add is in flight
    fail();
    for (int i = 0; i < 200 && followed.ok() && !stop; ++i) std::this_thread::sleep_for(25ms);
    stop = true;
    follower.join();
    return followed;
}

class Admission : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(d.start());
        proxy = std::make_unique<TcpProxy>(d.gms_port());
        alice = member_through(d, *proxy, "alice");
        bob = d.member("bob");
        ASSERT_TRUE(alice && bob);
        ASSERT_TRUE(alice->create_group("ops", {}).ok());
        ASSERT_TRUE(alice->invite("ops", "bob", {}).ok());
    }

    // After the failure: the GMS back on its port, alice's next sync completes the admission,
    // and bob joins and reads what alice sends.
    void the_next_sync_completes_the_admission(const Status& followed) {
        ASSERT_FALSE(followed.ok()) << "the follow went on as if nothing was left to do";
        EXPECT_NE(followed.error().message.find("left pending, retried at the next sync: adding bob"),
                  std::string::npos)
            << followed.error().message;
        ASSERT_TRUE(d.start_gms(d.gms_port()));
        const auto answered = sync(*alice);
        ASSERT_TRUE(has_event(answered, Kind::notice, "bob accepted: RN1 sent, GMS notified")) << describe(answered);
        const auto joined = sync(*bob);
        ASSERT_TRUE(has_event(joined, Kind::notice, "joined ops; group key ready")) << describe(joined);
        ASSERT_TRUE(alice->send("ops", "after the crash").ok());
        const auto got = recv(*bob, "ops");
        EXPECT_NE(message_with(got, "after the crash"), nullptr) << describe(got);
    }

    Deployment d;
    std::unique_ptr<TcpProxy> proxy;
    std::unique_ptr<Member> alice, bob;
};

TEST_F(Admission, AnAddTheGmsNeverReceivedIsRetriedAtTheNextSync) {
    const Status followed = accept_while_the_gms_fails(
        *alice, *bob, [&] { proxy->hold_requests(true); },
        [&] {
            d.kill_gms();
            proxy->cut();
            proxy->hold_requests(false);
        });
    the_next_sync_completes_the_admission(followed);
}

TEST_F(Admission, AnAddTheGmsCommittedBeforeDyingIsNotAddedTwice) {
    const Status followed = accept_while_the_gms_fails(
        *alice, *bob, [&] { proxy->hold_replies(true); },
        [&] {
            d.kill_gms();  // the add is committed; its answer is still held in the proxy
            proxy->cut();
            proxy->hold_replies(false);
        });
    the_next_sync_completes_the_admission(followed);
}

TEST_F(Admission, ASyncWhoseGmsDiedSaysWhatIsPendingAndFails) {
    ASSERT_TRUE(bob->accept("alice").ok());
    d.kill_gms();
    auto synced = alice->sync();
    ASSERT_FALSE(synced.ok());
    EXPECT_NE(synced.error().message.find("GMS"), std::string::npos) << synced.error().message;
    ASSERT_TRUE(d.start_gms(d.gms_port()));
    const auto answered = sync(*alice);  // the acceptance waited at the relay
    EXPECT_TRUE(has_event(answered, Kind::notice, "bob accepted: RN1 sent")) << describe(answered);
}

}  // namespace

TEST(AdmissionRefusal, ARefusalOnTheMeritsIsToldToBothSides) {
    Deployment d;
    ASSERT_TRUE(d.start());
    auto alice = d.member("alice");
    auto bob = d.member("bob");
    auto carol = d.member("carol");
    ASSERT_TRUE(alice && bob && carol);
    GroupPolicyOptions two;
    two.max_members = 2;
    ASSERT_TRUE(alice->create_group("pair", two).ok());
    ASSERT_TRUE(alice->invite("pair", "bob", {}).ok());
    ASSERT_TRUE(alice->invite("pair", "carol", {}).ok());
    ASSERT_TRUE(bob->accept("alice").ok());
    ASSERT_TRUE(carol->accept("alice").ok());
    const auto answered = sync(*alice);
    EXPECT_TRUE(has_event(answered, Kind::notice, "bob accepted: RN1 sent")) << describe(answered);
    EXPECT_TRUE(has_event(answered, Kind::refused, "could not add carol to pair: GMS: group is full"))
        << describe(answered);
    const auto told = sync(*carol);
    EXPECT_TRUE(has_event(told, Kind::refused, "alice could not add you to")) << describe(told);
    EXPECT_TRUE(has_event(told, Kind::refused, "group is full")) << describe(told);
    auto groups = carol->groups();
    ASSERT_TRUE(groups.ok());
    ASSERT_EQ(groups->size(), 1U);
    EXPECT_EQ((*groups)[0].state, "removed");
    // Nothing is left to retry on either side.
    EXPECT_FALSE(has_event(sync(*alice), Kind::refused, "carol"));
}

TEST(Readmission, AMemberRemovedAndAddedBackIsAMemberAgain) {
    Deployment d;
    ASSERT_TRUE(d.start());
    auto m0 = d.member("m0");
    auto m1 = d.member("m1");
    ASSERT_TRUE(m0 && m1);
    ASSERT_TRUE(m0->create_group("g1", {}).ok());
    join(*m0, *m1, "g1");
    // m1 runs one command at a time, as the CLI does: its next login learns of the removal from
    // the GMS, so the withdrawal m0 published stays queued at the relay, and comes after the
    // re-admission, where it must not end the new membership.
    m1.reset();
    ASSERT_TRUE(m0->remove("g1", "m1").ok());
    m1 = d.reopen("m1");
    ASSERT_TRUE(m1);
    const auto ended = sync(*m1);
    EXPECT_TRUE(has_event(ended, Kind::notice, "your membership ended")) << describe(ended);
    auto listed = m0->members("g1");
    ASSERT_TRUE(listed.ok());
    for (const auto& m : *listed) EXPECT_NE(m.account, "m1") << "a removed member is still listed";

    join(*m0, *m1, "g1");
    const auto after = sync(*m1);
    EXPECT_FALSE(has_event(after, Kind::notice, "your membership ended")) << describe(after);
    EXPECT_EQ(info(*m1, "g1").state, "active");
    ASSERT_TRUE(m0->send("g1", "welcome back").ok());
    const auto got = recv(*m1, "g1");
    EXPECT_NE(message_with(got, "welcome back"), nullptr) << describe(got);
    EXPECT_EQ(info(*m1, "g1").state, "active");
    listed = m0->members("g1");
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(listed->size(), 2U);
}

}  // namespace twofold::testing

namespace twofold::testing {

// Causality for the member who acts: what alice sends after her own command admitted bob is in
// an epoch bob can open — whether the admission and the send were one command or two — though
// bob, having accepted, is away until after both.
TEST(Causality, WhatTheInviterSendsAfterTheAdmissionReachesTheNewMember) {
    Deployment d;
    ASSERT_TRUE(d.start());
    auto alice = d.member("alice");
    auto bob = d.member("bob");
    auto carol = d.member("carol");
    ASSERT_TRUE(alice && bob && carol);
    ASSERT_TRUE(alice->create_group("ops", {}).ok());
    ASSERT_TRUE(alice->invite("ops", "bob", {}).ok());
    ASSERT_TRUE(bob->accept("alice").ok());
    bob.reset();  // closes his laptop
    // One command: the send's own sync admits bob (GMS add, RN1 sealed to him), then sends.
    ASSERT_TRUE(alice->send("ops", "welcome bob").ok());
    // Two commands: an admission by sync, then a send.
    ASSERT_TRUE(alice->invite("ops", "carol", {}).ok());
    ASSERT_TRUE(carol->accept("alice").ok());
    carol.reset();
    const auto answered = sync(*alice);
    ASSERT_TRUE(has_event(answered, Kind::notice, "carol accepted: RN1 sent")) << describe(answered);
    ASSERT_TRUE(alice->send("ops", "welcome carol").ok());

    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    const auto bob_got = recv(*bob, "ops");
    EXPECT_NE(message_with(bob_got, "welcome bob"), nullptr) << describe(bob_got);
    EXPECT_NE(message_with(bob_got, "welcome carol"), nullptr) << describe(bob_got);
    carol = d.reopen("carol");
    ASSERT_TRUE(carol);
    const auto carol_got = recv(*carol, "ops");
    EXPECT_EQ(message_with(carol_got, "welcome bob"), nullptr) << "carol reads from before her join";
    EXPECT_NE(message_with(carol_got, "welcome carol"), nullptr) << describe(carol_got);
}

}  // namespace twofold::testing
