// The real twofold-relay binary and the backlog a newly admitted member is owed (issue 11 §1):
// what was published from its membership epoch on reaches it when it first connects, also
// after a restart (kill -9) and after the current subscribers acknowledged it; never what came
// before; each group's retention is capped; a version-1 database still opens and serves.
#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/hex.h"
#include "relay_binary_test.h"
#include "store/database.h"

namespace twofold::relay {
namespace {

using namespace std::chrono_literals;
using testing::group_id_for;
using testing::key_of;

constexpr auto kQuiet = 1s;

// Everything the relay pushes until it is quiet, each acknowledged as it arrives.
std::vector<v1::Envelope> drain(RelayClient& client) {
    std::vector<v1::Envelope> out;
    while (true) {
        auto e = client.receive(kQuiet);
        if (!e) break;
        const std::uint64_t ids[] = {e->id()};
        EXPECT_TRUE(client.ack(ids).ok());
        out.push_back(std::move(*e));
    }
    return out;
}

std::vector<std::string> payloads(const std::vector<v1::Envelope>& envelopes) {
    std::vector<std::string> out;
    for (const auto& e : envelopes) out.push_back(e.payload());
    return out;
}

class RelayBacklogTest : public testing::RelayBinaryTest {
  protected:
    v1::MembershipStatement statement(const crypto::SigningKey& key, std::uint64_t epoch, std::uint64_t since) {
        const auto expires = static_cast<std::uint64_t>(::time(nullptr)) + testing::kHourSeconds;
        return gms_.statement(group_, key, epoch, expires, since);
    }
    void publish(RelayClient& client, const v1::MembershipStatement& st, const std::string& payload) {
        auto id = client.publish(as_bytes(group_), st, v1::ENVELOPE_TYPE_GROUP_MESSAGE, as_bytes(payload));
        ASSERT_TRUE(id.ok()) << id.error().message;
    }

    const std::string group_ = group_id_for(5);
    crypto::SigningKey alice_ = crypto::SigningKey::generate();
    crypto::SigningKey bob_ = crypto::SigningKey::generate();
    crypto::SigningKey carol_ = crypto::SigningKey::generate();
};

// bob is admitted at epoch 2 and first connects after a kill -9. carol read and acknowledged
// everything before that; bob still gets every envelope of epoch 2, from alice and carol, in
// order, none of epoch 1, and after another restart none of them again.
TEST_F(RelayBacklogTest, LateJoinerGetsItsBacklogAcrossARestartAndOnlyOnce) {
    start();
    {
        auto alice = member(alice_);
        auto carol = member(carol_);
        ASSERT_TRUE(alice && carol);
        ASSERT_TRUE(carol->subscribe(as_bytes(group_), statement(carol_, 1, 1)).ok());
        ASSERT_NO_FATAL_FAILURE(publish(*alice, statement(alice_, 1, 1), "before bob"));
        ASSERT_NO_FATAL_FAILURE(publish(*alice, statement(alice_, 2, 1), "welcome bob"));
        ASSERT_NO_FATAL_FAILURE(publish(*carol, statement(carol_, 2, 1), "hi bob, carol here"));
        EXPECT_EQ(payloads(drain(*carol)), (std::vector<std::string>{"before bob", "welcome bob"}));
    }
    relay_.kill_now();
    start();
    {
        auto bob = member(bob_);
        ASSERT_TRUE(bob && bob->subscribe(as_bytes(group_), statement(bob_, 2, 2)).ok());
        const auto got = drain(*bob);
        EXPECT_EQ(payloads(got), (std::vector<std::string>{"welcome bob", "hi bob, carol here"}));
        for (const auto& e : got) EXPECT_EQ(e.group_id(), group_);
    }
    relay_.kill_now();
    start();
    auto bob = member(bob_);
    ASSERT_TRUE(bob && bob->subscribe(as_bytes(group_), statement(bob_, 3, 2)).ok());  // a newer statement
    EXPECT_TRUE(drain(*bob).empty());
}

// bob is removed (epoch 2) and re-added (epoch 3) while offline: across a restart he gets only
// what was published from his re-admission on.
TEST_F(RelayBacklogTest, ReadmittedMemberGetsOnlyWhatFollowsItsReadmission) {
    start();
    {
        auto bob = member(bob_);
        ASSERT_TRUE(bob && bob->subscribe(as_bytes(group_), statement(bob_, 1, 1)).ok());
        auto alice = member(alice_);
        ASSERT_TRUE(alice);
        ASSERT_NO_FATAL_FAILURE(publish(*alice, statement(alice_, 1, 1), "while a member"));
        EXPECT_EQ(payloads(drain(*bob)), std::vector<std::string>{"while a member"});
    }
    {
        auto alice = member(alice_);
        ASSERT_TRUE(alice);
        ASSERT_NO_FATAL_FAILURE(publish(*alice, statement(alice_, 2, 1), "while bob is removed"));
        ASSERT_NO_FATAL_FAILURE(publish(*alice, statement(alice_, 3, 1), "bob is back"));
    }
    relay_.kill_now();
    start();
    auto bob = member(bob_);
    ASSERT_TRUE(bob && bob->subscribe(as_bytes(group_), statement(bob_, 3, 3)).ok());
    EXPECT_EQ(payloads(drain(*bob)), std::vector<std::string>{"bob is back"});
}

// --max-group-mib 1: eight envelopes of 200 KiB leave the newest five (1000 KiB); a late
// joiner gets those five, in order.
TEST_F(RelayBacklogTest, GroupRetentionIsCappedOldestFirst) {
    start({"--max-group-mib", "1"});
    constexpr std::size_t kPayloadBytes = 200 * 1024;
    {
        auto alice = member(alice_);
        ASSERT_TRUE(alice);
        for (int i = 0; i < 8; ++i) {
            ASSERT_NO_FATAL_FAILURE(
                publish(*alice, statement(alice_, 1, 1), std::to_string(i) + std::string(kPayloadBytes - 1, 'x')));
        }
    }
    auto bob = member(bob_);
    ASSERT_TRUE(bob && bob->subscribe(as_bytes(group_), statement(bob_, 1, 1)).ok());
    const auto got = drain(*bob);
    ASSERT_EQ(got.size(), 5u);
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].payload().front(), static_cast<char>('3' + i));
}

// The schema the relay used before it kept epochs (version 1), with what an older relay left in
// it: a group envelope and a mailbox envelope owed to bob.
const std::vector<store::Migration> kVersionOne = {{1, R"sql(
CREATE TABLE envelopes(id INTEGER PRIMARY KEY AUTOINCREMENT, type INTEGER NOT NULL, sender BLOB NOT NULL,
  recipient BLOB, group_id BLOB, payload BLOB NOT NULL, expires_ms INTEGER NOT NULL);
CREATE INDEX envelopes_by_expiry ON envelopes(expires_ms);
CREATE TABLE deliveries(recipient BLOB NOT NULL, envelope_id INTEGER NOT NULL,
  PRIMARY KEY(recipient, envelope_id)) WITHOUT ROWID;
CREATE INDEX deliveries_by_envelope ON deliveries(envelope_id);
CREATE TABLE subscriptions(group_id BLOB NOT NULL, member BLOB NOT NULL, epoch INTEGER NOT NULL,
  PRIMARY KEY(group_id, member)) WITHOUT ROWID;
CREATE TABLE group_epochs(group_id BLOB PRIMARY KEY, epoch INTEGER NOT NULL,
  first_seen_ms INTEGER NOT NULL) WITHOUT ROWID;
)sql"}};

TEST_F(RelayBacklogTest, VersionOneDatabaseOpensAndStillDelivers) {
    {
        auto db = store::Database::open(dir_ / "relay.db", kVersionOne);
        ASSERT_TRUE(db.ok()) << db.error().message;
        const auto expires = std::to_string((static_cast<std::uint64_t>(::time(nullptr)) + 3600) * 1000);
        const std::string alice = crypto::to_hex(as_bytes(key_of(alice_)));
        const std::string bob = crypto::to_hex(as_bytes(key_of(bob_)));
        const std::string group = crypto::to_hex(as_bytes(group_));
        const std::string sql = "INSERT INTO envelopes VALUES(1, " + std::to_string(v1::ENVELOPE_TYPE_GROUP_MESSAGE) +
                                ", x'" + alice + "', NULL, x'" + group + "', CAST('from the old relay' AS BLOB), " +
                                expires + ");" + "INSERT INTO envelopes VALUES(2, " +
                                std::to_string(v1::ENVELOPE_TYPE_INVITATION) + ", x'" + alice + "', x'" + bob +
                                "', NULL, CAST('old mailbox' AS BLOB), " + expires + ");" +
                                "INSERT INTO deliveries VALUES(x'" + bob + "', 1), (x'" + bob + "', 2);" +
                                "INSERT INTO subscriptions VALUES(x'" + group + "', x'" + bob + "', 1);";
        ASSERT_TRUE(db->exec(sql).ok());
    }
    start();
    auto bob = member(bob_);
    ASSERT_TRUE(bob && bob->subscribe(as_bytes(group_), statement(bob_, 1, 1)).ok());
    auto got = payloads(drain(*bob));
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<std::string>{"from the old relay", "old mailbox"}));
    auto alice = member(alice_);
    ASSERT_TRUE(alice);
    ASSERT_NO_FATAL_FAILURE(publish(*alice, statement(alice_, 1, 1), "from the new relay"));
    EXPECT_EQ(payloads(drain(*bob)), std::vector<std::string>{"from the new relay"});
}

}  // namespace
}  // namespace twofold::relay
