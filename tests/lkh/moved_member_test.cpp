// A member that moved to fill a removed member's leaf still holds the keys of its old path. When
// it leaves, those keys must be gone from the tree too, or a later rekey wrapped under one of them
// hands it the new RN2 (a forward-secrecy break the first version of the tree had).
#include "lkh_harness.h"

namespace twofold::lkh::testing {
namespace {

TEST(MovedMember, LearnsNothingAfterItsRemovalFromItsOldPath) {
    for (unsigned arity : {2u, 4u}) {
        // Seven members at arity 2: the last (6) moves into leaf 0, so the nodes above leaf 6 that
        // still hold other members, such as (2,1), keep keys that 6 knows.
        std::vector<MemberId> ids;
        for (MemberId i = 0; i < (arity == 2 ? 7u : 19u); ++i) ids.push_back(i);
        const MemberId last = ids.back();
        auto tree = KeyTree::build(kGroup, ids, arity);
        ASSERT_TRUE(tree.ok());
        Knowledge mover;
        MemberState state = welcome(*tree, last);
        mover.add_all(state);
        auto moved = tree->remove(0);
        ASSERT_TRUE(moved.ok());
        ASSERT_TRUE(state.apply(moved->message).ok());
        mover.add_all(state);
        EXPECT_EQ(state.leaf(), 0u);

        // It leaves in a batch whose joiner takes its leaf: nothing moves, the tree keeps its shape.
        const MemberId joiner = 100;
        auto gone = tree->batch(std::span<const MemberId>(&joiner, 1), std::vector<MemberId>{last});
        ASSERT_TRUE(gone.ok());
        std::vector<Rekey> later;
        later.push_back(std::move(*gone));
        std::vector<FixedBytes<kKeyBytes>> rn2s{copy_key(tree->rn2())};
        for (MemberId victim : {2u, 1u, 3u}) {
            auto r = tree->remove(victim);
            ASSERT_TRUE(r.ok());
            later.push_back(std::move(*r));
            rn2s.push_back(copy_key(tree->rn2()));
        }
        later.push_back(tree->renew());
        rn2s.push_back(copy_key(tree->rn2()));
        for (const Rekey& r : later) mover.learn_from(*RekeyMessage::parse(r.message));
        for (std::size_t i = 0; i < rn2s.size(); ++i) {
            EXPECT_FALSE(mover.holds_key_bytes(rn2s[i])) << "arity " << arity << ": removed mover learned RN2 " << i;
        }
    }
}

// The record of a move is part of the stored tree: a GMS restarted between the move and the
// mover's removal still replaces the mover's old path.
TEST(MovedMember, RecordSurvivesSerialisation) {
    const std::vector<MemberId> ids = {0, 1, 2, 3, 4, 5, 6};
    auto tree = KeyTree::build(kGroup, ids);
    ASSERT_TRUE(tree.ok());
    Knowledge mover;
    MemberState state = welcome(*tree, 6);
    mover.add_all(state);
    ASSERT_TRUE(tree->remove(0).ok());
    ASSERT_TRUE(tree->holds_former_path(6));
    auto restored = KeyTree::parse(tree->serialise().span());
    ASSERT_TRUE(restored.ok()) << restored.error().message;
    EXPECT_TRUE(restored->holds_former_path(6));
    const MemberId joiner = 100;
    auto gone = restored->batch(std::span<const MemberId>(&joiner, 1), std::vector<MemberId>{6});
    ASSERT_TRUE(gone.ok());
    auto next = restored->remove(2);
    ASSERT_TRUE(next.ok());
    mover.learn_from(*RekeyMessage::parse(gone->message));
    mover.learn_from(*RekeyMessage::parse(next->message));
    EXPECT_FALSE(mover.holds_key_bytes(copy_key(restored->rn2())));
}

}  // namespace
}  // namespace twofold::lkh::testing
