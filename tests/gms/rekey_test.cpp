// RN2 over LKH end to end: welcomes, rekeys pushed to connected members, acknowledgements, timed
// renewal, catch-up after missed rekeys, removal.
#include "gms_fixture.h"
#include "member_keys.h"
#include "wire/frame.h"
#include "wire/signed_rekey.h"

namespace twofold::gms::testing {
namespace {

class GmsRekeys : public GmsFixture {};
TWOFOLD_ON_EVERY_STORE(GmsRekeys);

// Reads pushes until one of `kind` for this group arrives.
v1::GmsResponse next_of(GmsClient& c, bool (v1::GmsResponse::*kind)() const) {
    for (int i = 0; i < 100; ++i) {
        auto p = c.next_push(5s);
        EXPECT_TRUE(p.ok()) << p.error().message;
        if (!p.ok()) return {};
        if (((*p).*kind)()) return *p;
    }
    ADD_FAILURE() << "push never arrived";
    return {};
}

TEST_P(GmsRekeys, MembersConvergeThroughJoinsRemovalsAndRenewals) {
    Member alice = member("alice");
    Member bob = member("bob");
    Member carol = member("carol");
    const Bytes gid = new_group_id();
    v1::GroupPolicy policy;
    policy.set_rn2_interval_seconds(3600);
    ASSERT_TRUE(alice.client->create_group(gid, policy).ok());
    auto a = open_welcome(next_of(*alice.client, &v1::GmsResponse::has_welcome).welcome(), alice.identity);
    ASSERT_TRUE(a.ok()) << a.error().message;

    ASSERT_TRUE(alice.client->add_member(gid, "bob", true, false).ok());
    const auto signed1 = next_of(*alice.client, &v1::GmsResponse::has_signed_rekey).signed_rekey();
    // Signed with the GMS's key, so it may travel any path (docs/rekey-delivery.md).
    EXPECT_TRUE(wire::verify_rekey(signed1, gms_key()).ok());
    const auto& rekey1 = signed1.rekey();
    ASSERT_TRUE(a->apply(as_bytes(rekey1.lkh_message())).ok());
    ASSERT_EQ(rekey1.events_size(), 1);
    EXPECT_EQ(rekey1.events(0).account(), "bob");
    auto b = open_welcome(next_of(*bob.client, &v1::GmsResponse::has_welcome).welcome(), bob.identity);
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(same_rn2(*a, *b));

    ASSERT_TRUE(bob.client->add_member(gid, "carol", false, false).ok());
    for (auto* s : {&*a, &*b}) {
        GmsClient& c = s == &*a ? *alice.client : *bob.client;
        ASSERT_TRUE(s->apply(as_bytes(next_of(c, &v1::GmsResponse::has_signed_rekey).signed_rekey().rekey().lkh_message())).ok());
    }
    auto c = open_welcome(next_of(*carol.client, &v1::GmsResponse::has_welcome).welcome(), carol.identity);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(same_rn2(*a, *c));
    EXPECT_TRUE(same_rn2(*b, *c));

    // Removal: carol hears she is out and cannot follow the next rekey; the others can.
    ASSERT_TRUE(alice.client->remove_member(gid, "carol").ok());
    EXPECT_TRUE(next_of(*carol.client, &v1::GmsResponse::has_removed).has_removed());
    const auto after = next_of(*alice.client, &v1::GmsResponse::has_signed_rekey).signed_rekey().rekey();
    ASSERT_TRUE(a->apply(as_bytes(after.lkh_message())).ok());
    ASSERT_TRUE(b->apply(as_bytes(next_of(*bob.client, &v1::GmsResponse::has_signed_rekey).signed_rekey().rekey().lkh_message())).ok());
    EXPECT_TRUE(same_rn2(*a, *b));
    lkh::MemberState carol_copy = *c;
    EXPECT_FALSE(carol_copy.apply(as_bytes(after.lkh_message())).ok());

    // Acknowledged epochs show in the group table.
    EXPECT_EQ(*alice.client->acknowledge(gid, a->epoch()), a->epoch());
}

TEST_P(GmsRekeys, TimedRenewalIsOneWrapPushedToMembers) {
    Member alice = member("alice");
    const Bytes gid = new_group_id();
    v1::GroupPolicy policy;
    policy.set_rn2_interval_seconds(1);
    ASSERT_TRUE(alice.client->create_group(gid, policy).ok());
    auto a = open_welcome(next_of(*alice.client, &v1::GmsResponse::has_welcome).welcome(), alice.identity);
    ASSERT_TRUE(a.ok());
    const std::uint64_t before = a->epoch();
    const auto renewal = next_of(*alice.client, &v1::GmsResponse::has_signed_rekey).signed_rekey().rekey();
    EXPECT_EQ(renewal.events_size(), 0);
    auto parsed = lkh::RekeyMessage::parse(as_bytes(renewal.lkh_message()));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->entries.size(), 1u);
    ASSERT_TRUE(a->apply(*parsed).ok());
    EXPECT_EQ(a->epoch(), before + 1);
}

TEST_P(GmsRekeys, OfflineMemberCatchesUpWithAnInquiry) {
    Member alice = member("alice");
    Member bob = member("bob");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(alice.client->create_group(gid, {}).ok());
    ASSERT_TRUE(alice.client->add_member(gid, "bob", false, false).ok());
    auto b = open_welcome(next_of(*bob.client, &v1::GmsResponse::has_welcome).welcome(), bob.identity);
    ASSERT_TRUE(b.ok());
    bob.client.reset();  // bob goes offline
    Member carol = member("carol");
    ASSERT_TRUE(alice.client->add_member(gid, "carol", false, false).ok());
    ASSERT_TRUE(alice.client->remove_member(gid, "carol").ok());

    bob.client = connect();
    auto login = bob.client->login("bob", "password-bob");
    ASSERT_TRUE(login.ok());
    ASSERT_EQ(login->groups_size(), 1);
    EXPECT_GT(login->groups(0).rn2_epoch(), b->epoch());  // bob sees he is behind
    auto caught_up = open_welcome(*bob.client->inquire(gid, b->epoch()), bob.identity);
    ASSERT_TRUE(caught_up.ok());
    auto a = open_welcome(*alice.client->inquire(gid, 0), alice.identity);
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(same_rn2(*a, *caught_up));
    EXPECT_EQ(caught_up->epoch(), login->groups(0).rn2_epoch());
}

TEST_P(GmsRekeys, ChangesThatArriveTogetherShareOneRekey) {
    Member owner = member("owner");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(owner.client->create_group(gid, {}).ok());
    std::vector<Member> joiners;
    for (int i = 0; i < 5; ++i) joiners.push_back(member("j" + std::to_string(i)));
    // Five adds in one write: they arrive in one read, so they are one batch.
    Bytes burst;
    for (int i = 0; i < 5; ++i) {
        v1::GmsRequest req;
        req.set_request_id(1000 + static_cast<std::uint64_t>(i));
        auto* n = req.mutable_member_notification();
        n->set_group_id(std::string(gid.begin(), gid.end()));
        n->set_change(v1::MemberNotification::CHANGE_ADD);
        n->set_account("j" + std::to_string(i));
        const std::string bytes = req.SerializeAsString();
        append(burst, *wire::encode_frame(as_bytes(bytes)));
    }
    ASSERT_TRUE(owner.client->transport().send_raw(burst).ok());
    std::set<std::uint64_t> epochs;
    int answers = 0, rekeys = 0;
    while (answers < 5) {
        auto frame = owner.client->transport().receive(5s);
        ASSERT_TRUE(frame.ok()) << frame.error().message;
        v1::GmsResponse r;
        ASSERT_TRUE(r.ParseFromArray(frame->data(), static_cast<int>(frame->size())));
        if (r.request_id() >= 1000) {
            ASSERT_TRUE(r.has_epoch()) << r.error().message();
            epochs.insert(r.epoch());
            ++answers;
        } else if (r.has_signed_rekey()) {
            ++rekeys;
        }
    }
    EXPECT_EQ(epochs.size(), 1u);
    // The one rekey follows the answers; nothing else does.
    while (auto frame = owner.client->transport().receive(500ms)) {
        v1::GmsResponse r;
        ASSERT_TRUE(r.ParseFromArray(frame->data(), static_cast<int>(frame->size())));
        if (r.has_signed_rekey()) {
            ++rekeys;
            EXPECT_EQ(r.signed_rekey().rekey().events_size(), 5);
        }
    }
    EXPECT_EQ(rekeys, 1);
}

}  // namespace
}  // namespace twofold::gms::testing
