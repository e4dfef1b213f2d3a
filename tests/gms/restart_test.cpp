// What a member needs after a GMS restart, through the real store: the recent RN2s (sealed with
// the group's keys), each membership's join epochs, and a database or key blob from before they
// were stored. And a journal that deletes a group and re-creates it with the same id.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "core_fixture.h"
#include "crypto/hex.h"
#include "gms/group_keys.h"
#include "gms/journal.h"
#include "gms/sqlite_store.h"
#include "gms_server/open_store.h"
#include "stores.h"
#include "lkh/key_tree.h"
#include "store/database.h"

namespace twofold::gms::testing {
namespace {

// The recent RN2s a GroupKeys holds, as a welcome lists them (epoch ‖ RN2, oldest first).
Bytes recent_bytes(const GroupKeys& keys) {
    crypto::SecretBuffer out;
    keys.recent_rn2s_into(0, out);
    return Bytes(out.span().begin(), out.span().end());
}

TEST(GroupKeysFormat, RecentRn2sRoundTripWithTheTree) {
    GroupKeys keys = GroupKeys::create(as_bytes(std::string(kGroupIdBytes, 'g')), 1);
    const GroupKeys::MemberId bob = 2;
    (void)keys.renew();
    (void)keys.change(std::span(&bob, 1), {});
    (void)keys.renew();  // three ended epochs: only the last two are kept
    ASSERT_EQ(recent_bytes(keys).size(), GroupKeys::kRecentRn2 * (8 + crypto::kRn2Bytes));

    auto parsed = GroupKeys::parse(keys.serialise().span());
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->epoch(), keys.epoch());
    EXPECT_EQ(parsed->member_count(), 2u);
    EXPECT_EQ(recent_bytes(*parsed), recent_bytes(keys));
}

// Format 1, what the GMS stored before: the bare LKH tree. It still loads, with no recent RN2s.
TEST(GroupKeysFormat, TheBareTreeOfFormat1StillParses) {
    lkh::KeyTree tree(as_bytes(std::string(kGroupIdBytes, 'g')), 1);
    (void)tree.renew();
    auto parsed = GroupKeys::parse(tree.serialise().span());
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->epoch(), tree.epoch());
    EXPECT_TRUE(recent_bytes(*parsed).empty());
}

TEST(GroupKeysFormat, MoreRecentRn2sThanKeptAreRefused) {
    GroupKeys keys = GroupKeys::create(as_bytes(std::string(kGroupIdBytes, 'g')), 1);
    (void)keys.renew();
    crypto::SecretBuffer bytes = keys.serialise();
    bytes.mutable_span()[5] = GroupKeys::kRecentRn2 + 1;  // the count, after magic and format
    EXPECT_FALSE(GroupKeys::parse(bytes.span()).ok());
}

class TempDir {
  public:
    explicit TempDir(const std::string& name)
        : path_(std::filesystem::temp_directory_path() / ("twofold-gms-" + name + "-" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// The core with a real store under it: every batch's journal committed, and a restart that
// reopens the store and starts a new core with what it loads, as twofold-gms does.
class GmsRestart : public GmsCoreRecent, public ::testing::WithParamInterface<StoreKind> {
  protected:
    virtual StoreKind kind() const { return GetParam(); }
    void SetUp() override {
        if (kind() == StoreKind::postgresql) {
            database_ = twofold::testing::fresh_database();
            ASSERT_FALSE(database_.empty());
            url_ = twofold::testing::shared_postgres()->url(database_);
        }
        ASSERT_NO_FATAL_FAILURE(open_store());
    }

    void open_store() {
        store_.reset();
        auto opened = gms::open_store(url_, dir_.path());
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        store_ = std::move(*opened);
    }

    void commit() { ASSERT_TRUE(store_->commit(core_->take_journal()).ok()); }

    void restart() {
        ASSERT_NO_FATAL_FAILURE(commit());
        ASSERT_NO_FATAL_FAILURE(open_store());
        auto state = store_->load();
        ASSERT_TRUE(state.ok()) << state.error().message;
        start(std::move(*state));
    }

    // member_since of each member, as the GMS-signed statements carry it.
    std::map<std::string, std::uint64_t> members_since(const Peer& asker) {
        v1::GmsRequest r;
        r.mutable_list_members()->set_group_id(gid_);
        const auto answer = ask(asker, r);
        EXPECT_TRUE(answer.has_members()) << answer.error().message();
        std::map<std::string, std::uint64_t> out;
        for (const auto& s : answer.members().members()) out.emplace(s.account(), s.member_since());
        return out;
    }

    TempDir dir_{"restart"};
    std::string database_;  // PostgreSQL only
    std::string url_;       // "" for SQLite in dir_
    std::unique_ptr<Store> store_;
};
TWOFOLD_ON_EVERY_STORE(GmsRestart);

// SQLite's own history: its schemas before PostgreSQL's first.
class GmsSqliteRestart : public GmsRestart {
  protected:
    StoreKind kind() const override { return StoreKind::sqlite; }
};

// bob offline at E; a renewal (E+1), carol's join (E+2) and dave's removal (E+3) end the epochs
// after it; the GMS restarts. bob's inquiry still carries the two latest ended epochs' RN2s,
// carol's none from before her join (her join epoch survived too), dave gets nothing, and every
// member_since is what it was.
TEST_P(GmsRestart, RecentRn2sAndJoinEpochsSurviveARestart) {
    Peer alice = account("alice");
    Peer bob = account("bob");
    Peer carol = account("carol");
    Peer dave = account("dave");
    create_group(alice);
    add(alice, "bob");
    add(alice, "dave");
    const std::uint64_t e = epoch();  // bob goes offline here
    renew(alice);
    add(alice, "carol");
    remove(alice, "dave");
    ASSERT_EQ(epoch(), e + 3);
    const auto since = members_since(alice);
    EXPECT_EQ(since, (std::map<std::string, std::uint64_t>{{"alice", 1}, {"bob", 2}, {"carol", 4}}));

    ASSERT_NO_FATAL_FAILURE(restart());
    for (Peer* p : {&alice, &bob, &carol, &dave}) log_in(*p);
    ASSERT_EQ(epoch(), e + 3) << "the loaded epoch";

    // The first batch after a restart also renews (the loaded group's renewal is overdue), but
    // it answers the inquiries first.
    auto welcomes = inquire_in_one_batch({&bob, &carol});
    const auto at_bob = recent_of(welcomes[0], bob.identity);
    EXPECT_EQ(epochs_of(at_bob), (std::set<std::uint64_t>{e + 1, e + 2}));
    expect_true_rn2s(at_bob);
    EXPECT_EQ(epochs_of(recent_of(welcomes[1], carol.identity)), (std::set<std::uint64_t>{e + 2}))
        << "nothing from before carol's join";
    v1::GmsRequest q;
    q.mutable_rn2_inquiry()->set_group_id(gid_);
    EXPECT_EQ(ask(dave, q).error().code(), v1::ERROR_CODE_FORBIDDEN);
    EXPECT_EQ(members_since(alice), since);

    // And a second restart keeps what the first one's renewal made.
    ASSERT_EQ(epoch(), e + 4);
    record(alice);
    ASSERT_NO_FATAL_FAILURE(restart());
    log_in(bob);
    log_in(carol);
    welcomes = inquire_in_one_batch({&bob, &carol});
    const auto again = recent_of(welcomes[0], bob.identity);
    EXPECT_EQ(epochs_of(again), (std::set<std::uint64_t>{e + 2, e + 3}));
    expect_true_rn2s(again);
    EXPECT_EQ(epochs_of(recent_of(welcomes[1], carol.identity)), (std::set<std::uint64_t>{e + 2, e + 3}));
}

// A database of schema 2 (no join epochs stored) migrates: joined_epoch 0 (sound, its keys
// held no recent RN2s), member_since the group's membership epoch then (never before the join).
TEST_F(GmsSqliteRestart, ASchema2DatabaseMigrates) {
    Peer alice = account("alice");
    account("bob");
    create_group(alice);
    add(alice, "bob");
    ASSERT_NO_FATAL_FAILURE(commit());
    store_.reset();
    {
        auto db = store::Database::open(dir_.path() / "gms.db", {{1, ""}, {2, ""}, {3, ""}, {4, ""}});
        ASSERT_TRUE(db.ok()) << db.error().message;
        ASSERT_TRUE(db->exec("ALTER TABLE members DROP COLUMN valid_until; ALTER TABLE groups DROP COLUMN rn1_interval_seconds; "
                             "ALTER TABLE groups DROP COLUMN max_validity_seconds; "
                             "ALTER TABLE members DROP COLUMN joined_epoch; ALTER TABLE members DROP COLUMN "
                             "member_since; PRAGMA user_version=2")
                        .ok());
    }
    ASSERT_NO_FATAL_FAILURE(open_store());  // migrates to schema 4
    auto state = store_->load();
    ASSERT_TRUE(state.ok()) << state.error().message;
    ASSERT_EQ(state->groups.size(), 1u);
    const Group& g = state->groups[0];
    ASSERT_EQ(g.members.size(), 2u);
    for (const auto& [id, m] : g.members) {
        EXPECT_EQ(m.joined_epoch, 0u);
        EXPECT_EQ(m.member_since, g.membership_epoch);
    }
}

// The store refuses a database a newer GMS has migrated, and says which versions (decision 38).
TEST_P(GmsRestart, ANewerSchemaIsRefusedNamingBothVersions) {
    store_.reset();
    if (kind() == StoreKind::sqlite) {
        // An empty migration numbered 99 is what a newer program's schema looks like from here.
        auto db = store::Database::open(dir_.path() / "gms.db", {{99, ""}});
        ASSERT_TRUE(db.ok()) << db.error().message;
        ASSERT_EQ(db->schema_version(), 99);
    } else {
        ASSERT_TRUE(twofold::testing::shared_postgres()->execute(
            database_, "UPDATE twofold_schema SET version = 99 WHERE component = 'gms'"));
    }
    auto opened = gms::open_store(url_, dir_.path());
    ASSERT_FALSE(opened.ok());
    const std::string& m = opened.error().message;
    EXPECT_NE(m.find("schema version 99 is newer than this program knows ("), std::string::npos) << m;
}

// Everything the database holds, as an administrator could read it: pg_dump of the PostgreSQL
// database; the SQLite files' bytes.
std::string everything_stored(StoreKind kind, const std::filesystem::path& dir, const std::string& database) {
    if (kind == StoreKind::postgresql) {
        auto dump = twofold::testing::shared_postgres()->dump(database);
        EXPECT_TRUE(dump) << dump.error().message;
        return dump ? *dump : std::string();
    }
    std::string all;
    for (const char* name : {"gms.db", "gms.db-wal"}) {
        std::ifstream in(dir / name, std::ios::binary);
        all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return all;
}

// An administrator reading every table learns no RN2 and no tree key: no 16-byte run of any
// group's serialised keys (its LKH node keys, current and recent RN2s) is in the dump, neither
// as bytes nor in bytea's hex (decision 39).
TEST_P(GmsRestart, TheDatabaseHoldsNoGroupKeyInTheClear) {
    Peer alice = account("alice");
    account("bob");
    account("carol");
    create_group(alice);
    add(alice, "bob");
    add(alice, "carol");
    renew(alice);
    ASSERT_NO_FATAL_FAILURE(commit());
    auto state = store_->load();  // what the core holds, as the store gives it back
    ASSERT_TRUE(state.ok()) << state.error().message;
    ASSERT_EQ(state->groups.size(), 1u);
    const crypto::SecretBuffer keys = state->groups[0].keys.serialise();
    const std::string stored = everything_stored(kind(), dir_.path(), database_);
    ASSERT_GT(stored.size(), 1000u);
    const ByteView id(state->groups[0].id);
    EXPECT_TRUE(stored.find(crypto::to_hex(id)) != std::string::npos ||
                stored.find(std::string(id.begin(), id.end())) != std::string::npos)
        << "the scan does not see the group's own row";
    constexpr std::size_t kWindow = 16;
    // The tree's header names its group: the one public 16-byte run in it.
    const std::string plain(keys.span().begin(), keys.span().end());
    const std::size_t id_at = plain.find(std::string(id.begin(), id.end()));
    std::size_t windows = 0;
    for (std::size_t at = 0; at + kWindow <= keys.size(); at += 4) {
        if (id_at != std::string::npos && at < id_at + id.size() && id_at < at + kWindow) continue;
        const ByteView w = keys.span().subspan(at, kWindow);
        if (std::set<std::uint8_t>(w.begin(), w.end()).size() < 12) continue;  // framing, not key bytes
        ++windows;
        EXPECT_EQ(stored.find(std::string(w.begin(), w.end())), std::string::npos) << "raw key bytes at " << at;
        EXPECT_EQ(stored.find(crypto::to_hex(w)), std::string::npos) << "hex of key bytes at " << at;
    }
    EXPECT_GT(windows, 10u);
}

// One journal deletes a group (its last member left) and re-creates one with the same id, with
// an RN1 claim: after a reload the new group is there, with its member and its claim.
TEST(JournalBuilder, AGroupDeletedAndRecreatedInOneJournalKeepsItsNewRows) {
    TempDir dir("recreate");
    auto store = SqliteStore::open(dir.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    const auto key = crypto::SigningKey::generate().public_key();
    std::map<AccountId, Account> accounts = {{1, Account{1, "alice", "$argon2id$stand-in", key}},
                                             {2, Account{2, "bob", "$argon2id$stand-in", key}}};
    GroupId id{};
    id.fill(7);
    const auto group_of = [&](AccountId member, std::uint32_t interval) {
        Group g{id, Policy{interval, 10, false}, 1, 1, {}, GroupKeys::create(ByteView(id), member), {{1, member}}};
        g.members.emplace(member, Membership{Rights{true, true}, 0, 1, 1});
        return g;
    };
    std::map<GroupId, Group> groups;
    groups.emplace(id, group_of(1, 60));
    JournalBuilder first;
    first.account(1);
    first.account(2);
    first.group(id);
    first.membership(id, 1);
    first.rn1_claimed(id, 1, 1);
    ASSERT_TRUE(store->commit(first.build(accounts, groups)).ok());

    JournalBuilder second;
    second.removed(id, 1);
    second.deleted(id);
    groups.erase(id);
    groups.emplace(id, group_of(2, 77));
    second.group(id);
    second.membership(id, 2);
    second.rn1_claimed(id, 1, 2);
    ASSERT_TRUE(store->commit(second.build(accounts, groups)).ok());

    auto state = store->load();
    ASSERT_TRUE(state.ok()) << state.error().message;
    ASSERT_EQ(state->groups.size(), 1u) << "the re-created group was deleted with the old one";
    const Group& g = state->groups[0];
    EXPECT_EQ(g.policy.rn2_interval_seconds, 77u);
    ASSERT_EQ(g.members.size(), 1u);
    EXPECT_TRUE(g.members.contains(2));
    EXPECT_EQ(g.rn1_claimers, (std::map<std::uint64_t, AccountId>{{1, 2}}));
}

}  // namespace
}  // namespace twofold::gms::testing
