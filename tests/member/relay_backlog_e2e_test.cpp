// Issue 11 §1, end to end with the real twofold-gms and twofold-relay: a member admitted at
// membership epoch e gets every group message sent at or after e whenever it first connects
// (from any member, across a relay restart), never one sent before e, and a re-admitted member
// only what follows its re-admission. What the relay itself pushes to the member's key is checked
// with a RelayClient holding that key, besides what the member's library shows.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include "crypto/hex.h"
#include "crypto/sign.h"
#include "deployment.h"
#include "gms_client/client.h"
#include "member_steps.h"
#include "member_store/vault.h"
#include "relay_client/client.h"
#include "twofold/member.h"
#include "twofold/v1/relay.pb.h"

namespace twofold::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kRelayQuiet = 1s;
const std::string kGroup = "backlog";

// The group messages the relay holds right now, as stored (ciphertext).
std::set<std::string> relay_group_messages(const Deployment& d) {
    std::set<std::string> out;
    sqlite3* db = nullptr;
    const auto file = d.relay_dir() / "relay.db";
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << "cannot open " << file;
        sqlite3_close(db);
        return out;
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT payload FROM envelopes WHERE type = ?1", -1, &st, nullptr) == SQLITE_OK) {
        sqlite3_bind_int(st, 1, v1::ENVELOPE_TYPE_GROUP_MESSAGE);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const auto* p = static_cast<const char*>(sqlite3_column_blob(st, 0));
            out.emplace(p, static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

// What the relay pushes to `account`'s key for the group: a RelayClient with the identity key
// from the account's store (its Member must be closed) subscribes with the account's current
// statement from the GMS. Nothing is acknowledged, so the member's own sync gets it all again.
std::vector<std::string> relay_pushes_to(const Deployment& d, const std::string& account, const std::string& gid_hex) {
    std::vector<std::string> out;
    const std::string passphrase = Deployment::passphrase_of(account);
    auto vault = member_store::Vault::open(d.home(account) / "member.db", as_bytes(passphrase));
    EXPECT_TRUE(vault.ok()) << vault.error().message;
    if (!vault.ok()) return out;
    auto seed = vault->get("secret", "identity");
    EXPECT_TRUE(seed.ok() && *seed);
    if (!seed.ok() || !*seed) return out;
    auto identity = crypto::SigningKey::from_seed((**seed).span());
    EXPECT_TRUE(identity.ok());
    auto gid = crypto::from_hex(gid_hex, "group id");
    auto gms = gms::GmsClient::connect(*net::parse_endpoint(d.gms_endpoint(), "gms"), d.gms_fingerprint());
    EXPECT_TRUE(identity.ok() && gid.ok() && gms.ok());
    if (!identity.ok() || !gid.ok() || !gms.ok()) return out;
    EXPECT_TRUE((*gms)->login(account, Deployment::password_of(account)).ok());
    auto statement = (*gms)->statement(*gid);
    EXPECT_TRUE(statement.ok()) << statement.error().message;
    auto relay = relay::RelayClient::connect(*net::parse_endpoint(d.relay_endpoint(), "relay"), d.relay_fingerprint(),
                                             *identity);
    EXPECT_TRUE(relay.ok()) << relay.error().message;
    if (!statement.ok() || !relay.ok()) return out;
    auto subscribed = (*relay)->subscribe(*gid, *statement);
    EXPECT_TRUE(subscribed.ok()) << subscribed.error().message;
    while (true) {
        auto e = (*relay)->receive(kRelayQuiet);
        if (!e) break;
        if (e->type() == v1::ENVELOPE_TYPE_GROUP_MESSAGE) out.push_back(e->payload());
    }
    return out;
}

class RelayBacklogE2e : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(d.start());
        alice = d.member("alice");
        bob = d.member("bob");
        carol = d.member("carol");
        ASSERT_TRUE(alice && bob && carol);
        GroupPolicyOptions policy;
        policy.rn2_interval_seconds = 3600;
        ASSERT_TRUE(alice->create_group(kGroup, policy).ok());
        ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, kGroup));
    }

    // Fig. 7 with the invitee away: it accepts and closes its laptop before the inviter's sync
    // hands over RN1 and adds it at the GMS.
    void invite_and_go_away(std::unique_ptr<Member>& invitee) {
        const std::string account = invitee->account();
        ASSERT_TRUE(alice->invite(kGroup, account, Rights{}).ok());
        ASSERT_TRUE(invitee->accept("alice").ok());
        invitee.reset();
        const auto answered = sync(*alice);
        ASSERT_TRUE(has_event(answered, Kind::notice, account + " accepted: RN1 sent, GMS notified"))
            << describe(answered);
    }

    Deployment d;
    std::unique_ptr<Member> alice, bob, carol;
};

// The story: bob accepts and goes away; alice answers and sends; carol, an older member,
// sends too. When bob comes back he reads both, and the relay never pushes him what alice sent
// before his join (although it still holds it, for the TTL).
TEST_F(RelayBacklogE2e, LateJoinerReadsEverythingSentSinceItsJoinAndNothingBefore) {
    ASSERT_TRUE(alice->send(kGroup, "before bob").ok());
    const auto before_bob = relay_group_messages(d);
    ASSERT_EQ(before_bob.size(), 1u);
    ASSERT_NO_FATAL_FAILURE(invite_and_go_away(bob));
    ASSERT_TRUE(alice->send(kGroup, "welcome bob").ok());
    (void)sync(*carol);  // carol learns of bob's join (the rekey)
    ASSERT_TRUE(carol->send(kGroup, "hi bob, carol here").ok());
    EXPECT_EQ(relay_group_messages(d).size(), 3u);  // all kept, although carol acknowledged the first

    const std::string gid = info(*alice, kGroup).id;
    const auto pushed = relay_pushes_to(d, "bob", gid);
    EXPECT_EQ(pushed.size(), 2u);
    for (const auto& p : pushed)
        EXPECT_FALSE(before_bob.contains(p)) << "the relay pushed bob a message from before his join";

    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    const auto events = sync(*bob);
    EXPECT_TRUE(has_event(events, Kind::notice, "joined " + kGroup + "; group key ready")) << describe(events);
    EXPECT_EQ(texts(events), (std::vector<std::string>{"alice: welcome bob", "carol: hi bob, carol here"}))
        << describe(events);
}

// The relay restarts between alice's message and bob's first connection: nothing is lost.
TEST_F(RelayBacklogE2e, RelayRestartBeforeTheJoinersFirstConnectionLosesNothing) {
    ASSERT_NO_FATAL_FAILURE(invite_and_go_away(bob));
    ASSERT_TRUE(alice->send(kGroup, "welcome bob").ok());
    (void)sync(*carol);
    ASSERT_TRUE(carol->send(kGroup, "hi bob, carol here").ok());
    const std::uint16_t port = d.relay_port();
    alice.reset();
    carol.reset();
    d.stop_relay();
    ASSERT_TRUE(d.start_relay(port));

    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    const auto events = sync(*bob);
    EXPECT_EQ(texts(events), (std::vector<std::string>{"alice: welcome bob", "carol: hi bob, carol here"}))
        << describe(events);
}

// bob, a member, is removed; alice sends; bob is re-added and alice sends again. The relay
// pushes bob only the second, and that is all bob reads.
TEST_F(RelayBacklogE2e, ReadmittedMemberGetsOnlyWhatFollowsTheReadmission) {
    ASSERT_NO_FATAL_FAILURE(join(*alice, *bob, kGroup));
    bob.reset();
    ASSERT_TRUE(alice->remove(kGroup, "bob").ok());
    ASSERT_TRUE(alice->send(kGroup, "while bob is removed").ok());
    const auto before_readmission = relay_group_messages(d);
    ASSERT_EQ(before_readmission.size(), 1u);
    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    ASSERT_NO_FATAL_FAILURE(invite_and_go_away(bob));
    ASSERT_TRUE(alice->send(kGroup, "bob is back").ok());

    const auto pushed = relay_pushes_to(d, "bob", info(*alice, kGroup).id);
    ASSERT_EQ(pushed.size(), 1u);
    EXPECT_FALSE(before_readmission.contains(pushed.front())) << "the relay pushed bob a message from his removal";

    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    const auto events = sync(*bob);
    EXPECT_EQ(texts(events), std::vector<std::string>{"alice: bob is back"}) << describe(events);
}

}  // namespace
}  // namespace twofold::testing
