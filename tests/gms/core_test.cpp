// The GMS's pure protocol logic, driven directly: requests and the time in, answers and pushes
// out, no sockets, clocks or disks. Here: which recent RN2s a welcome carries, and to whom.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "core_fixture.h"
#include "crypto/gk.h"
#include "crypto/random.h"
#include "gms/core.h"
#include "gms/sqlite_store.h"
#include "lkh/key_tree.h"
#include "member_keys.h"
#include "store/database.h"

namespace twofold::gms::testing {
namespace {

// The last two epochs' RN2s are kept whatever ended them: a join, a removal, a renewal.
TEST_F(GmsCoreRecent, RecentRn2sSurviveJoinsAndRemovals) {
    Peer alice = account("alice");
    account("bob");
    create_group(alice);
    const std::uint64_t first = epoch();
    add(alice, "bob");
    remove(alice, "bob");
    ASSERT_EQ(epoch(), first + 2);

    auto recent = recent_of(inquire(alice), alice.identity);
    EXPECT_EQ(epochs_of(recent), (std::set<std::uint64_t>{first, first + 1}));
    expect_true_rn2s(recent);

    renew(alice);  // a renewal after the changes pushes the oldest out, as before
    recent = recent_of(inquire(alice), alice.identity);
    EXPECT_EQ(epochs_of(recent), (std::set<std::uint64_t>{first + 1, first + 2}));
    expect_true_rn2s(recent);
}

// bob offline at E; carol joins (E+1); dave joins (E+2). bob's catch-up carries E+1, the epoch
// dave's join ended; carol's carries E+1 (she joined there) but not E; dave's carries nothing.
TEST_F(GmsCoreRecent, WelcomesCarryOnlyEpochsTheMemberWasAMemberAt) {
    Peer alice = account("alice");
    Peer bob = account("bob");
    Peer carol = account("carol");
    Peer dave = account("dave");
    create_group(alice);
    add(alice, "bob");
    const std::uint64_t e = epoch();  // bob goes offline here
    add(alice, "carol");
    add(alice, "dave");
    ASSERT_EQ(epoch(), e + 2);

    EXPECT_TRUE(recent_of(pushed_welcome(dave), dave.identity).empty()) << "a joiner's welcome has no older RN2";
    EXPECT_TRUE(recent_of(inquire(dave), dave.identity).empty()) << "nor has its inquiry";

    const auto at_bob = recent_of(inquire(bob), bob.identity);
    EXPECT_EQ(epochs_of(at_bob), (std::set<std::uint64_t>{e, e + 1}));
    expect_true_rn2s(at_bob);

    const auto at_carol = recent_of(inquire(carol), carol.identity);
    EXPECT_EQ(epochs_of(at_carol), (std::set<std::uint64_t>{e + 1}));
    expect_true_rn2s(at_carol);

    // After a renewal dave was a member at E+2, so that one is his; E+1 still is not.
    renew(alice);
    EXPECT_EQ(epochs_of(recent_of(inquire(dave), dave.identity)), (std::set<std::uint64_t>{e + 2}));
}

// A member removed and added again counts from the re-add: never the epochs it was out.
TEST_F(GmsCoreRecent, ReaddedMemberCountsFromTheReadd) {
    Peer alice = account("alice");
    Peer bob = account("bob");
    create_group(alice);
    add(alice, "bob");
    remove(alice, "bob");
    const std::uint64_t out = epoch();  // bob is not a member here
    add(alice, "bob");
    EXPECT_TRUE(recent_of(pushed_welcome(bob), bob.identity).empty());
    renew(alice);
    EXPECT_EQ(epochs_of(recent_of(inquire(bob), bob.identity)), (std::set<std::uint64_t>{out + 1}));
}

// alice and bob in a group at RN2 epoch 2 (bob joined at 2), as the store loads it from a
// database written before recent RN2s and join epochs were stored (group keys format 1, the bare
// LKH tree; schema 2): no recent RN2s, join epochs 0.
State loaded(const std::string& gid, const crypto::SigningKey& alice, const crypto::SigningKey& bob) {
    State s;
    s.accounts.push_back(Account{1, "alice", "$argon2id$stand-in", alice.public_key()});
    s.accounts.push_back(Account{2, "bob", "$argon2id$stand-in", bob.public_key()});
    lkh::KeyTree before(as_bytes(gid), 1);
    const GroupKeys::MemberId bob_id = 2;
    EXPECT_TRUE(before.batch(std::span(&bob_id, 1), {}).ok());
    auto keys = GroupKeys::parse(before.serialise().span());
    EXPECT_TRUE(keys.ok()) << keys.error().message;
    Group g{};
    std::copy(gid.begin(), gid.end(), g.id.begin());
    g.policy.rn2_interval_seconds = kIntervalSeconds;
    g.policy.max_members = 10;
    g.membership_epoch = 2;
    g.members.emplace(1, Membership{Rights{true, true}, 2});
    g.members.emplace(2, Membership{Rights{}, 2});
    if (keys.ok()) g.keys = std::move(*keys);
    s.groups.push_back(std::move(g));
    return s;
}

// The members a GMS loads from an old store count as joined before anything it remembers from
// then on; a joiner after the restart still gets nothing from before its join.
TEST_F(GmsCoreRecent, MembersLoadedFromAnOldStoreCountAsJoinedBefore) {
    Peer alice{"alice"};
    Peer bob{"bob"};
    now_ = 1000;  // a loaded group's first renewal is due an interval after time 0: not yet
    start(loaded(gid_, alice.identity, bob.identity));
    log_in(alice);
    log_in(bob);
    record(alice);
    const std::uint64_t loaded_epoch = epoch();
    EXPECT_TRUE(recent_of(inquire(bob), bob.identity).empty()) << "nothing from before the restart";

    Peer carol = account("carol");
    add(alice, "carol");
    const auto at_bob = recent_of(inquire(bob), bob.identity);
    EXPECT_EQ(epochs_of(at_bob), (std::set<std::uint64_t>{loaded_epoch}));
    expect_true_rn2s(at_bob);
    EXPECT_TRUE(recent_of(pushed_welcome(carol), carol.identity).empty());
    EXPECT_TRUE(recent_of(inquire(carol), carol.identity).empty());
}

// bob removed and added back with may_invite in one batch: he never leaves the tree, and the
// GMS holds the rights of the re-add, as the members' rosters do from the rekey's events.
TEST_F(GmsCoreRecent, RemovedAndAddedBackInOneBatchHoldsTheNewRights) {
    Peer alice = account("alice");
    account("bob");
    create_group(alice);
    add(alice, "bob");
    const auto answers =
        ask_in_one_batch(alice, {notification(v1::MemberNotification::CHANGE_REMOVE, "bob"),
                                 notification(v1::MemberNotification::CHANGE_ADD, "bob", {true, false})});
    for (const auto& a : answers) ASSERT_TRUE(a.has_epoch()) << a.error().message();
    const Group* g = core_->group(group_id());
    ASSERT_NE(g, nullptr);
    ASSERT_EQ(g->members.size(), 2u);
    EXPECT_EQ(std::count_if(g->members.begin(), g->members.end(),
                            [](const auto& m) {
                                return m.second.rights == Rights{true, false};
                            }),
              1)
        << "bob keeps the rights of the re-add";
}

// RN1 generations: the GMS records whose claim of each won, keeps the last three (the members'
// grace), and reports them in login statuses, welcomes and claim answers (a loser learns the
// winner); they survive a restart. A database from before the record (schema 1) reports the
// generations it has as claimed by nobody known, and records the next claim.
TEST_F(GmsCoreRecent, Rn1ClaimersAreRecordedReportedAndSurviveARestart) {
    const auto dir = std::filesystem::temp_directory_path() / ("twofold-gms-claims-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() { std::filesystem::remove_all(dir); }
    } cleanup{dir};
    std::optional<SqliteStore> store;
    auto opened = SqliteStore::open(dir);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store.emplace(std::move(*opened));

    Peer alice = account("alice");
    Peer bob = account("bob");
    const std::map<std::string, crypto::SignPublicKey> keys = {{"alice", alice.identity.public_key()},
                                                               {"bob", bob.identity.public_key()}};
    const auto one = [&](const v1::Rn1Claim& c) {
        return claims_of(google::protobuf::RepeatedPtrField<v1::Rn1Claim>(&c, &c + 1), keys).front();
    };
    create_group(alice);
    add(alice, "bob");
    EXPECT_TRUE(log_in(alice).groups(0).rn1_claims().empty()) << "nothing claimed yet";

    const auto won = claim(alice, 1);
    ASSERT_TRUE(won.has_rn1_generation()) << won.error().message();
    EXPECT_EQ(one(won.rn1_claim()), "1:alice");
    const auto lost = claim(bob, 1);
    ASSERT_TRUE(lost.has_error());
    EXPECT_EQ(lost.error().code(), v1::ERROR_CODE_CONFLICT);
    EXPECT_EQ(one(lost.rn1_claim()), "1:alice") << "the loser learns who won";
    ASSERT_TRUE(claim(bob, 2).has_rn1_generation());
    ASSERT_TRUE(store->commit(core_->take_journal()).ok());
    ASSERT_TRUE(claim(alice, 3).has_rn1_generation());
    ASSERT_TRUE(claim(bob, 4).has_rn1_generation());
    ASSERT_TRUE(store->commit(core_->take_journal()).ok());

    const std::vector<std::string> recent = {"2:bob", "3:alice", "4:bob"};
    EXPECT_EQ(claims_of(log_in(alice).groups(0).rn1_claims(), keys), recent);
    EXPECT_EQ(claims_of(inquire(bob).rn1_claims(), keys), recent);

    auto state = store->load();  // a restart
    ASSERT_TRUE(state.ok()) << state.error().message;
    ASSERT_EQ(state->groups.size(), 1u);
    EXPECT_EQ(state->groups[0].rn1_generation, 4u);
    EXPECT_EQ(state->groups[0].rn1_claimers.size(), 3u) << "generation 1's claim was pruned";
    start(std::move(*state));
    const v1::LoginResponse at_alice = log_in(alice);
    ASSERT_EQ(at_alice.groups_size(), 1);
    EXPECT_EQ(at_alice.groups(0).rn1_generation(), 4u);
    EXPECT_EQ(claims_of(at_alice.groups(0).rn1_claims(), keys), recent);
    log_in(bob);
    EXPECT_EQ(claims_of(inquire(bob).rn1_claims(), keys), recent);
    EXPECT_EQ(one(claim(bob, 4).rn1_claim()), "4:bob");

    // The same database as schema 1 left it: no record of claimers.
    store.reset();
    {
        auto db = store::Database::open(dir / "gms.db", {{1, ""}, {2, ""}, {3, ""}, {4, ""}});
        ASSERT_TRUE(db.ok()) << db.error().message;
        ASSERT_TRUE(db->exec("ALTER TABLE members DROP COLUMN valid_until; ALTER TABLE groups DROP COLUMN rn1_interval_seconds; "
                             "ALTER TABLE groups DROP COLUMN max_validity_seconds; "
                             "DROP TABLE rn1_claims; ALTER TABLE members DROP COLUMN joined_epoch; "
                             "ALTER TABLE members DROP COLUMN member_since; PRAGMA user_version=1")
                        .ok());
    }
    opened = SqliteStore::open(dir);  // migrates to schema 4
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store.emplace(std::move(*opened));
    state = store->load();
    ASSERT_TRUE(state.ok()) << state.error().message;
    start(std::move(*state));
    EXPECT_EQ(claims_of(log_in(alice).groups(0).rn1_claims(), keys), (std::vector<std::string>{"2:", "3:", "4:"}));
    ASSERT_TRUE(claim(alice, 5).has_rn1_generation());
    EXPECT_EQ(claims_of(log_in(bob).groups(0).rn1_claims(), keys), (std::vector<std::string>{"3:", "4:", "5:alice"}));
}

}  // namespace
}  // namespace twofold::gms::testing
