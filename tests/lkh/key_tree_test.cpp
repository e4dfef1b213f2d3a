// The key tree's operations one at a time: who can derive RN2, what each costs, and how bad
// messages are refused.
#include "lkh_harness.h"

namespace twofold::lkh::testing {
namespace {

TEST(KeyTree, FounderDerivesTheServersRn2) {
    KeyTree tree(kGroup, 1);
    MemberState founder = welcome(tree, 1);
    EXPECT_EQ(copy_key(founder.rn2()), copy_key(tree.rn2()));
    EXPECT_EQ(tree.epoch(), 1u);
    EXPECT_EQ(tree.height(), 1u);
}

TEST(KeyTree, JoinsAndRemovalsKeepEveryMemberInStep) {
    for (unsigned arity : {2u, 3u, 4u}) {
        KeyTree tree(kGroup, 0, arity);
        std::map<MemberId, MemberState> members;
        members.emplace(0, welcome(tree, 0));
        const auto check_all = [&] {
            for (auto& [id, s] : members) ASSERT_EQ(copy_key(s.rn2()), copy_key(tree.rn2())) << "member " << id;
        };
        for (MemberId m = 1; m < 40; ++m) {
            auto r = tree.join(m);
            ASSERT_TRUE(r.ok());
            for (auto& [id, s] : members) ASSERT_TRUE(s.apply(r->message).ok()) << "arity " << arity << " member " << id;
            members.emplace(m, welcome(tree, m));
            check_all();
        }
        for (MemberId m : {5u, 0u, 39u, 17u, 1u, 2u, 30u}) {
            auto r = tree.remove(m);
            ASSERT_TRUE(r.ok());
            members.erase(m);
            for (auto& [id, s] : members) ASSERT_TRUE(s.apply(r->message).ok()) << "arity " << arity << " member " << id;
            check_all();
        }
    }
}

TEST(KeyTree, HeightStaysCeilLogThroughGrowthAndShrink) {
    for (unsigned arity : {2u, 4u}) {
        KeyTree tree(kGroup, 0, arity);
        const auto expected = [&](std::size_t n) { return std::max(1u, height_for(n, arity)); };
        for (MemberId m = 1; m < 300; ++m) {
            ASSERT_TRUE(tree.join(m).ok());
            ASSERT_EQ(tree.height(), expected(tree.size()));
            ASSERT_LE(tree.height(), std::max(1u, ceil_log2(tree.size())) + 1);
        }
        for (MemberId m = 1; m < 300; m += 1) {
            ASSERT_TRUE(tree.remove(m).ok());
            ASSERT_EQ(tree.height(), expected(tree.size()));
        }
        EXPECT_EQ(tree.size(), 1u);
    }
}

TEST(KeyTree, CostsAreLogarithmicAndRenewalIsOneWrap) {
    std::vector<MemberId> ids(5000);
    for (MemberId i = 0; i < ids.size(); ++i) ids[i] = i;
    auto tree = KeyTree::build(kGroup, ids);
    ASSERT_TRUE(tree.ok());
    std::mt19937_64 rng(7);
    for (int i = 0; i < 50; ++i) {
        const MemberId victim = ids[rng() % ids.size()];
        if (!tree->contains(victim)) continue;
        const std::size_t n = tree->size();
        auto r = tree->remove(victim);
        ASSERT_TRUE(r.ok());
        EXPECT_LE(r->wrapped_keys, 2 * ceil_log2(n)) << "n=" << n;
        EXPECT_EQ(tree->renew().wrapped_keys, 1u);
    }
}

TEST(KeyTree, FlatBaselineWrapsToEveryMember) {
    std::vector<MemberId> ids(100);
    for (MemberId i = 0; i < ids.size(); ++i) ids[i] = i;
    auto flat = KeyTree::build(kGroup, ids, kFlatArity);
    ASSERT_TRUE(flat.ok());
    MemberState m7 = welcome(*flat, 7);
    auto r = flat->remove(3);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->wrapped_keys, 99u);
    ASSERT_TRUE(m7.apply(r->message).ok());
    EXPECT_EQ(copy_key(m7.rn2()), copy_key(flat->rn2()));
    EXPECT_EQ(flat->renew().wrapped_keys, 1u);
}

TEST(KeyTree, BatchReplacesSharedNodesOnce) {
    std::vector<MemberId> ids(64);
    for (MemberId i = 0; i < ids.size(); ++i) ids[i] = i;
    auto tree = KeyTree::build(kGroup, ids);
    ASSERT_TRUE(tree.ok());
    std::map<MemberId, MemberState> members;
    for (MemberId i : ids) members.emplace(i, welcome(*tree, i));
    const std::vector<MemberId> joins = {100, 101, 102};
    const std::vector<MemberId> removes = {0, 1, 2, 3, 63};
    auto batch = tree->batch(joins, removes);
    ASSERT_TRUE(batch.ok());
    // Separately these would cost about 2*6 wraps each; shared nodes make the batch cheaper.
    EXPECT_LT(batch->wrapped_keys, (joins.size() + removes.size()) * 2 * 6);
    for (MemberId r : removes) members.erase(r);
    for (auto& [id, s] : members) {
        ASSERT_TRUE(s.apply(batch->message).ok()) << id;
        EXPECT_EQ(copy_key(s.rn2()), copy_key(tree->rn2()));
    }
    for (MemberId j : joins) EXPECT_EQ(copy_key(welcome(*tree, j).rn2()), copy_key(tree->rn2()));
}

TEST(KeyTree, InvalidOperationsChangeNothing) {
    KeyTree tree(kGroup, 1);
    ASSERT_TRUE(tree.join(2).ok());
    const auto epoch = tree.epoch();
    EXPECT_EQ(tree.remove(99).error().code, Errc::unknown);
    EXPECT_EQ(tree.join(2).error().code, Errc::invalid_argument);
    const std::vector<MemberId> both = {1, 2};
    EXPECT_EQ(tree.batch({}, both).error().code, Errc::invalid_argument);
    const std::vector<MemberId> twice = {3, 3};
    EXPECT_EQ(tree.batch(twice, {}).error().code, Errc::invalid_argument);
    EXPECT_EQ(tree.epoch(), epoch);
    EXPECT_EQ(tree.size(), 2u);
}

TEST(MemberState, ReplayedAndReorderedRekeysAreRefused) {
    KeyTree tree(kGroup, 1);
    auto r1 = tree.join(2);
    auto r2 = tree.join(3);
    ASSERT_TRUE(r1.ok() && r2.ok());
    MemberState fresh = welcome(tree, 1);
    const Status replay = fresh.apply(r2->message);
    ASSERT_FALSE(replay.ok());
    EXPECT_EQ(replay.error().code, Errc::stale_epoch);
    EXPECT_NE(replay.error().message.find("epoch 3"), std::string::npos);
    const Status older = fresh.apply(r1->message);
    EXPECT_EQ(older.error().code, Errc::stale_epoch);
}

TEST(MemberState, MissingARekeyIsReportedAsNeedingCatchUp) {
    KeyTree tree(kGroup, 1);
    ASSERT_TRUE(tree.join(2).ok());
    MemberState m = welcome(tree, 2);
    ASSERT_TRUE(tree.join(3).ok());  // not delivered to m
    auto r = tree.renew();           // wrapped under the root m never learned
    const Status s = m.apply(r.message);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::unknown);
    EXPECT_NE(s.error().message.find("ask the GMS"), std::string::npos);
    EXPECT_EQ(m.epoch(), 2u);  // unchanged
}

TEST(MemberState, WrongGroupIsRefused) {
    KeyTree a(kGroup, 1);
    KeyTree b(Bytes{'o', 't', 'h', 'e', 'r'}, 1);
    MemberState m = welcome(a, 1);
    EXPECT_EQ(m.apply(b.renew().message).error().code, Errc::unknown);
}

TEST(MemberState, EveryTamperedByteAndEveryTruncationIsRefusedAtomically) {
    KeyTree tree(kGroup, 1);
    for (MemberId m = 2; m < 6; ++m) ASSERT_TRUE(tree.join(m).ok());
    const MemberState before = welcome(tree, 3);
    auto r = tree.remove(5);
    ASSERT_TRUE(r.ok());
    const auto rn2_before = copy_key(before.rn2());
    const std::size_t header_bytes = RekeyMessage::parse(r->message)->header().size() + 4;
    for (std::size_t i = 0; i < r->message.size(); ++i) {
        Bytes bad = r->message;
        bad[i] ^= 0x01;
        MemberState m = before;
        const Status s = m.apply(bad);
        // The header is authenticated by every entry. An entry this member never opens (wrapped
        // for other members) is not its to check; what must never happen is a wrong RN2.
        if (i < header_bytes) {
            ASSERT_FALSE(s.ok()) << "header byte " << i << " flipped was accepted";
        }
        if (s.ok()) {
            ASSERT_EQ(copy_key(m.rn2()), copy_key(tree.rn2())) << "byte " << i;
        } else {
            ASSERT_EQ(m.epoch(), before.epoch());
            ASSERT_EQ(copy_key(m.rn2()), rn2_before);
        }
    }
    for (std::size_t cut = 0; cut < r->message.size(); ++cut) {
        MemberState m = before;
        const Status s = m.apply(ByteView(r->message).first(cut));
        ASSERT_FALSE(s.ok()) << "cut at " << cut;
        ASSERT_TRUE(s.error().code == Errc::truncated || s.error().code == Errc::malformed) << cut;
    }
    Bytes longer = r->message;
    longer.push_back(0);
    MemberState m = before;
    EXPECT_EQ(m.apply(longer).error().code, Errc::malformed);
    EXPECT_TRUE(m.apply(r->message).ok());
}

TEST(Serialisation, TreeAndMemberStateRoundTrip) {
    std::vector<MemberId> ids = {10, 20, 30, 40, 50};
    auto tree = KeyTree::build(kGroup, ids, 4);
    ASSERT_TRUE(tree.ok());
    ASSERT_TRUE(tree->remove(20).ok());
    const auto bytes = tree->serialise();
    auto back = KeyTree::parse(bytes.span());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(copy_key(back->rn2()), copy_key(tree->rn2()));
    EXPECT_EQ(back->epoch(), tree->epoch());
    EXPECT_EQ(back->size(), tree->size());
    // The restored tree carries on: its next rekey reaches a member of the original.
    MemberState m = welcome(*tree, 40);
    auto r = back->remove(10);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(m.apply(r->message).ok());
    EXPECT_EQ(copy_key(m.rn2()), copy_key(back->rn2()));
    auto again = MemberState::parse(m.serialise().span());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(copy_key(again->rn2()), copy_key(m.rn2()));
    // Truncated storage is an error, never a crash.
    for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
        EXPECT_FALSE(KeyTree::parse(bytes.span().first(cut)).ok());
    }
}

}  // namespace
}  // namespace twofold::lkh::testing
