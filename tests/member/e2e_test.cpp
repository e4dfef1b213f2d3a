// The member library end to end: real twofold-gms and twofold-relay processes on loopback, members
// made with Member::init, driven through the paper's flows (Fig. 4, 6, 7) and each line of the
// threat model (ARCHITECTURE.md §4). Where the public API cannot reach (a removed member that
// colludes with the GMS, a relay that forges or replays), the test reads a member's encrypted
// store with its passphrase, or the relay's SQLite store, and plays the attacker with the
// src/member functions directly.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <barrier>
#include <fstream>
#include <iterator>
#include <thread>

#include "crypto/gk.h"
#include "crypto/hex.h"
#include "crypto/key_schedule.h"
#include "crypto/sign.h"
#include "deployment.h"
#include "member_steps.h"
#include "gms_client/client.h"
#include "member/group_keys.h"
#include "member/message_protection.h"
#include "member/replay_window.h"
#include "member/signed_messages.h"
#include "member_client/records.h"
#include "member_store/vault.h"
#include "relay_client/client.h"
#include "twofold/member.h"
#include "twofold/v1/local.pb.h"
#include "twofold/v1/relay.pb.h"

namespace twofold::testing {
namespace {


// --- the attacker's tools: a member's store opened with its passphrase, the relay's database ---

struct Held {
    std::optional<crypto::SigningKey> identity;
    v1::LocalGroup group;
    std::optional<member::GroupKeys> keys;
};

Held read_store(const Deployment& d, const std::string& account, const std::string& gid_hex) {
    Held h;
    const std::string passphrase = Deployment::passphrase_of(account);
    auto vault = member_store::Vault::open(d.home(account) / "member.db", as_bytes(passphrase));
    EXPECT_TRUE(vault.ok()) << vault.error().message;
    if (!vault.ok()) return h;
    auto seed = vault->get("secret", "identity");
    EXPECT_TRUE(seed.ok() && *seed);
    if (seed.ok() && *seed) {
        auto key = crypto::SigningKey::from_seed((**seed).span());
        if (key.ok()) h.identity.emplace(std::move(*key));
    }
    auto found = member_client::get_message(*vault, "group", gid_hex, h.group);
    EXPECT_TRUE(found.ok() && *found) << "no group " << gid_hex << " in " << account << "'s store";
    auto keys = member_client::load_group_keys(*vault, h.group);
    EXPECT_TRUE(keys.ok()) << keys.error().message;
    if (keys.ok()) h.keys = std::move(*keys);
    return h;
}

std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) out.push_back(entry.path());
    }
    return out;
}

std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The group messages the relay holds right now (every copy not yet acknowledged by all).
std::vector<std::string> relay_group_messages(const Deployment& d) {
    std::vector<std::string> out;
    for (const auto& file : files_under(d.relay_dir())) {
        if (file.extension() != ".db") continue;
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
            ADD_FAILURE() << "cannot open " << file;
            sqlite3_close(db);
            continue;
        }
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT payload FROM envelopes WHERE type = ?1 ORDER BY id", -1, &st, nullptr) ==
            SQLITE_OK) {
            sqlite3_bind_int(st, 1, v1::ENVELOPE_TYPE_GROUP_MESSAGE);
            while (sqlite3_step(st) == SQLITE_ROW) {
                const auto* p = static_cast<const char*>(sqlite3_column_blob(st, 0));
                out.emplace_back(p, static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
            }
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    return out;
}

// The relay administrator's deletion: the group messages at these positions (0-based, in the
// order the relay stored them) vanish from its store, with their pending deliveries.
void drop_group_messages(const Deployment& d, const std::vector<int>& positions) {
    for (const auto& file : files_under(d.relay_dir())) {
        if (file.extension() != ".db") continue;
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK) << file;
        std::vector<std::int64_t> ids;
        sqlite3_stmt* st = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT id FROM envelopes WHERE type = ?1 ORDER BY id", -1, &st, nullptr),
                  SQLITE_OK);
        sqlite3_bind_int(st, 1, v1::ENVELOPE_TYPE_GROUP_MESSAGE);
        while (sqlite3_step(st) == SQLITE_ROW) ids.push_back(sqlite3_column_int64(st, 0));
        sqlite3_finalize(st);
        for (const int p : positions) {
            ASSERT_LT(static_cast<std::size_t>(p), ids.size());
            const std::string id = std::to_string(ids[static_cast<std::size_t>(p)]);
            const std::string sql =
                "DELETE FROM deliveries WHERE envelope_id = " + id + "; DELETE FROM envelopes WHERE id = " + id + ";";
            ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        }
        sqlite3_close(db);
    }
}

std::string gid_of(Member& m, const std::string& group) { return info(m, group).id; }

crypto::EpochKeySchedule schedule_from(const crypto::Rn1& rn1, ByteView rn2_bytes, const std::string& name) {
    auto group_name = crypto::GroupName::parse(name);
    EXPECT_TRUE(group_name.ok());
    const auto rn2 =
        crypto::Rn2::copy_of(std::span<const std::uint8_t, crypto::kRn2Bytes>(rn2_bytes.data(), crypto::kRn2Bytes));
    return crypto::EpochKeySchedule(crypto::derive_group_key(rn1, rn2, *group_name));
}

class MemberE2e : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(d.start()); }

    // A group made by alice with bob in it (bob may invite).
    void alice_and_bob(const std::string& group, bool strict = false) {
        alice = d.member("alice");
        bob = d.member("bob");
        ASSERT_TRUE(alice && bob);
        GroupPolicyOptions policy;
        policy.strict = strict;
        policy.rn2_interval_seconds = 3600;
        ASSERT_TRUE(alice->create_group(group, policy).ok());
        ASSERT_NO_FATAL_FAILURE(join(*alice, *bob, group, Rights{true, false}));
    }

    Deployment d;
    std::unique_ptr<Member> alice, bob, carol, dave;
};

// 1. Fig. 4 (forming), Fig. 7 (addition), Fig. 6 (withdrawal), messages flowing between members,
// the epochs each step gives. And 2(b): the removed member reads nothing sent after its removal
// and cannot send with its old object.
TEST_F(MemberE2e, PaperFlowsFormAddWithdraw) {
    alice = d.member("alice");
    bob = d.member("bob");
    carol = d.member("carol");
    ASSERT_TRUE(alice && bob && carol);

    // Fig. 4: alice makes RN1 (generation 1), the GMS makes RN2; alice alone in the group.
    auto created = alice->create_group("paper", GroupPolicyOptions{3600, 0, false});
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ(created->state, "active");
    EXPECT_EQ(created->rn1_generation, 1u);
    EXPECT_TRUE(created->rights.may_invite && created->rights.may_remove);
    const std::uint64_t rn2_created = created->rn2_epoch;

    // Fig. 7 step by step.
    ASSERT_TRUE(alice->invite("paper", "bob", Rights{true, false}).ok());
    auto invitations = bob->invitations();
    ASSERT_TRUE(invitations.ok());
    ASSERT_EQ(invitations->size(), 1u);
    EXPECT_EQ((*invitations)[0].inviter, "alice");
    EXPECT_EQ((*invitations)[0].group_id, created->id);
    EXPECT_TRUE((*invitations)[0].rights.may_invite);
    EXPECT_FALSE((*invitations)[0].rights.may_remove);
    ASSERT_TRUE(bob->accept("alice").ok());
    auto bob_waiting = bob->groups();
    ASSERT_TRUE(bob_waiting.ok());
    ASSERT_EQ(bob_waiting->size(), 1u);
    EXPECT_EQ((*bob_waiting)[0].state, "awaiting-keys");  // neither RN1 nor membership yet
    EXPECT_EQ((*bob_waiting)[0].name, "");
    const auto answered = sync(*alice);
    EXPECT_TRUE(has_event(answered, Kind::notice, "bob accepted: RN1 sent, GMS notified")) << describe(answered);
    EXPECT_TRUE(has_event(answered, Kind::notice, "bob joined")) << describe(answered);
    const auto joined = sync(*bob);
    EXPECT_TRUE(has_event(joined, Kind::notice, "joined paper; group key ready")) << describe(joined);

    const GroupInfo a1 = info(*alice, "paper");
    const GroupInfo b1 = info(*bob, "paper");
    EXPECT_EQ(b1.state, "active");
    EXPECT_EQ(b1.name, "paper");
    EXPECT_EQ(b1.rn1_generation, 1u);
    EXPECT_GT(a1.rn2_epoch, rn2_created);  // backward secrecy: a join renews RN2
    EXPECT_EQ(a1.rn2_epoch, b1.rn2_epoch);
    EXPECT_EQ(a1.rn1_generation, b1.rn1_generation);
    EXPECT_TRUE(b1.rights.may_invite);
    EXPECT_FALSE(b1.rights.may_remove);

    ASSERT_TRUE(alice->send("paper", "hello bob").ok());
    ASSERT_TRUE(bob->send("paper", "hello alice").ok());
    const auto at_bob = recv(*bob, "paper");
    const Event* hb = message_with(at_bob, "hello bob");
    ASSERT_NE(hb, nullptr) << describe(at_bob);
    EXPECT_EQ(hb->sender, "alice");
    EXPECT_EQ(hb->rn1_generation, b1.rn1_generation);
    EXPECT_EQ(hb->rn2_epoch, b1.rn2_epoch);
    const auto at_alice = recv(*alice, "paper");
    ASSERT_NE(message_with(at_alice, "hello alice"), nullptr) << describe(at_alice);
    EXPECT_EQ(message_with(at_alice, "hello alice")->sender, "bob");

    // bob invites carol with the right alice granted him.
    ASSERT_NO_FATAL_FAILURE(join(*bob, *carol, "paper"));
    const GroupInfo c2 = info(*carol, "paper");
    EXPECT_GT(c2.rn2_epoch, b1.rn2_epoch);
    EXPECT_EQ(c2.rn2_epoch, info(*alice, "paper").rn2_epoch);
    EXPECT_FALSE(c2.rights.may_invite);
    auto listed = alice->members("paper");
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(listed->size(), 3u);
    // carol may not remove: refused by the library before anything is sent.
    auto refused = carol->remove("paper", "bob");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("you lack may_remove"), std::string::npos) << refused.error().message;

    // Fig. 6: alice withdraws bob. RN2 renewed (forward secrecy); RN1 kept (not strict).
    ASSERT_TRUE(alice->remove("paper", "bob").ok());
    const GroupInfo a3 = info(*alice, "paper");
    EXPECT_GT(a3.rn2_epoch, c2.rn2_epoch);
    EXPECT_EQ(a3.rn1_generation, 1u);
    const auto bob_told = sync(*bob);
    EXPECT_TRUE(has_event(bob_told, Kind::notice, "your membership ended")) << describe(bob_told);
    EXPECT_EQ(info(*bob, "paper").state, "removed");
    const auto carol_told = sync(*carol);
    EXPECT_TRUE(has_event(carol_told, Kind::notice, "alice withdrew bob")) << describe(carol_told);
    EXPECT_EQ(info(*carol, "paper").rn2_epoch, a3.rn2_epoch);

    ASSERT_TRUE(alice->send("paper", "after bob: alice").ok());
    ASSERT_TRUE(carol->send("paper", "after bob: carol").ok());
    const auto at_carol = recv(*carol, "paper");
    ASSERT_NE(message_with(at_carol, "after bob: alice"), nullptr) << describe(at_carol);
    EXPECT_EQ(message_with(at_carol, "after bob: alice")->rn2_epoch, a3.rn2_epoch);
    ASSERT_NE(message_with(recv(*alice, "paper"), "after bob: carol"), nullptr);

    // 2(b): bob reads none of it, and his old object cannot send.
    const auto at_bob_after = recv(*bob, std::nullopt);
    for (const auto& t : texts(at_bob_after)) EXPECT_EQ(t.find("after bob"), std::string::npos) << t;
    auto sent = bob->send("paper", "bob is still here");
    ASSERT_FALSE(sent.ok());
    EXPECT_EQ(sent.error().code, Errc::forbidden);
    EXPECT_NE(sent.error().message.find("has no group key here"), std::string::npos) << sent.error().message;
    for (const auto& t : texts(recv(*alice, "paper"))) EXPECT_EQ(t.find("bob is still here"), std::string::npos);
}

// 2(a): after traffic, nothing in either server's data directory (database, WAL, logs, keys)
// holds a plaintext, the group name, RN1, GK or a member's identity seed.
TEST_F(MemberE2e, ServersHoldNoPlaintextGroupNameOrMemberSecret) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("zanzibarsecretplans"));
    const std::vector<std::string> plaintexts = {"the launch code is 0451-alpha", "meet at the old mill at nine"};
    ASSERT_TRUE(alice->send("zanzibarsecretplans", plaintexts[0]).ok());
    ASSERT_TRUE(bob->send("zanzibarsecretplans", plaintexts[1]).ok());
    ASSERT_NE(message_with(recv(*alice, std::nullopt), plaintexts[1]), nullptr);
    const std::string gid = gid_of(*alice, "zanzibarsecretplans");
    const GroupInfo current = info(*alice, "zanzibarsecretplans");
    alice.reset();

    const Held held = read_store(d, "alice", gid);
    ASSERT_TRUE(held.keys && held.keys->ready() && held.identity);
    std::vector<std::pair<std::string, std::string>> needles;
    for (const auto& p : plaintexts) needles.emplace_back("plaintext", p);
    needles.emplace_back("group name", "zanzibarsecretplans");
    for (const auto& [generation, rn1] : held.keys->rn1s()) {
        needles.emplace_back("RN1 " + std::to_string(generation), std::string(rn1.span().begin(), rn1.span().end()));
    }
    auto gk = held.keys->schedule(*held.keys->current());
    ASSERT_TRUE(gk.ok());
    const auto rn2 = held.keys->path()->rn2();
    auto name = crypto::GroupName::parse("zanzibarsecretplans");
    const auto group_key =
        crypto::derive_group_key(held.keys->rn1s().rbegin()->second, crypto::Rn2::copy_of(rn2), *name);
    needles.emplace_back("GK", std::string(group_key.span().begin(), group_key.span().end()));
    needles.emplace_back("GK hex", crypto::to_hex(group_key.span()));
    const auto seed = held.identity->seed();
    needles.emplace_back("alice's identity seed", std::string(seed.span().begin(), seed.span().end()));
    EXPECT_EQ(current.rn2_epoch, held.keys->path()->epoch());

    std::size_t scanned = 0;
    for (const auto& dir : {d.gms_dir(), d.relay_dir()}) {
        for (const auto& file : files_under(dir)) {
            const std::string bytes = slurp(file);
            scanned += bytes.size();
            for (const auto& [what, needle] : needles) {
                EXPECT_EQ(bytes.find(needle), std::string::npos) << what << " found in " << file;
            }
        }
    }
    EXPECT_GT(scanned, 0u);
    // The scan can fail: it finds what the GMS does keep in clear, the account names.
    bool account_seen = false;
    for (const auto& file : files_under(d.gms_dir())) account_seen |= slurp(file).find("alice") != std::string::npos;
    EXPECT_TRUE(account_seen);
}

// 2(c): in a strict group a removal rotates RN1. The remaining members send in the new
// generation; the removed member's last RN1 with the GMS's new RN2 (a collusion) gives another GK,
// which fails on a post-removal message at the key-confirmation id, and the AEAD too.
TEST_F(MemberE2e, StrictRemovalRotatesRn1AgainstGmsCollusion) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("strictgroup", true));
    carol = d.member("carol");
    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, "strictgroup"));
    const std::string gid = gid_of(*alice, "strictgroup");
    const GroupInfo before = info(*alice, "strictgroup");
    ASSERT_TRUE(before.strict);
    EXPECT_EQ(before.rn1_generation, 1u);

    // What carol holds before her removal (a removed member keeps whatever it copied).
    carol.reset();
    Held carol_held = read_store(d, "carol", gid);
    ASSERT_TRUE(carol_held.keys && carol_held.keys->has_rn1());
    const std::uint64_t carol_generation = carol_held.keys->rn1s().rbegin()->first;
    const crypto::Rn1 carol_rn1 = carol_held.keys->rn1s().rbegin()->second.clone();
    EXPECT_EQ(carol_generation, 1u);

    ASSERT_TRUE(alice->remove("strictgroup", "carol").ok());
    const GroupInfo after = info(*alice, "strictgroup");
    EXPECT_EQ(after.rn1_generation, 2u);
    EXPECT_GT(after.rn2_epoch, before.rn2_epoch);
    ASSERT_TRUE(alice->send("strictgroup", "post-removal secret").ok());
    const auto stored = relay_group_messages(d);  // bob has not fetched it yet
    ASSERT_FALSE(stored.empty());

    const auto at_bob = recv(*bob, "strictgroup");
    const Event* m = message_with(at_bob, "post-removal secret");
    ASSERT_NE(m, nullptr) << describe(at_bob);
    EXPECT_EQ(m->rn1_generation, 2u);
    EXPECT_EQ(m->rn2_epoch, after.rn2_epoch);
    const GroupInfo bob_after = info(*bob, "strictgroup");
    EXPECT_EQ(bob_after.rn1_generation, 2u);
    EXPECT_EQ(bob_after.rn2_epoch, after.rn2_epoch);

    // Collusion: carol's RN1 and the RN2 the GMS made (read here from bob's store).
    bob.reset();
    const Held bob_held = read_store(d, "bob", gid);
    ASSERT_TRUE(bob_held.keys && bob_held.keys->ready());
    const auto bob_rn2 = bob_held.keys->path()->rn2();
    ASSERT_EQ(bob_held.keys->path()->epoch(), after.rn2_epoch);
    bool found = false;
    for (const auto& bytes : stored) {
        auto parsed = member::parse_group_message(as_bytes(bytes));
        ASSERT_TRUE(parsed.ok());
        if (parsed->header().rn1_generation() != 2) continue;
        found = true;
        auto own = bob_held.keys->schedule({2, parsed->header().rn2_epoch()});
        ASSERT_TRUE(own.ok()) << own.error().message;
        auto opened = member::open_message(*parsed, *own);  // control: a member opens it
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        EXPECT_EQ(std::string(opened->span().begin(), opened->span().end()), "post-removal secret");

        const auto colluding = schedule_from(carol_rn1, bob_rn2, "strictgroup");
        auto refused = member::open_message(*parsed, colluding);
        ASSERT_FALSE(refused.ok());
        EXPECT_NE(refused.error().message.find("key-confirmation id differs"), std::string::npos)
            << refused.error().message;
        // Even with the key-confirmation id forged to match, the AEAD refuses.
        v1::GroupMessage forged = *parsed;
        forged.mutable_header()->set_key_confirmation_id(
            std::string(colluding.key_confirmation_id().begin(), colluding.key_confirmation_id().end()));
        auto still = member::open_message(forged, colluding);
        ASSERT_FALSE(still.ok());
        EXPECT_EQ(still.error().code, Errc::auth_failed);
    }
    EXPECT_TRUE(found) << "no generation-2 message in the relay's store";

    // And through the API: carol learns of her removal and reads nothing after it.
    carol = d.reopen("carol");
    ASSERT_TRUE(carol);
    const auto at_carol = recv(*carol, std::nullopt);
    EXPECT_TRUE(has_event(at_carol, Kind::notice, "your membership ended")) << describe(at_carol);
    EXPECT_EQ(message_with(at_carol, "post-removal secret"), nullptr);
    EXPECT_EQ(info(*carol, "strictgroup").state, "removed");
}

// 2(d): a member who joins later reads nothing sent before its join, not through the API and
// not with the relay's whole store as it stood then and its own keys.
// 2(c), the fallback: a member that leaves a strict group cannot rotate RN1 itself, so the next
// remaining member with may_remove to sync does; the others adopt that generation.
TEST_F(MemberE2e, StrictLeaveIsRotatedByAnotherMemberWithMayRemove) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("strictleave", true));
    carol = d.member("carol");
    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, "strictleave"));
    EXPECT_EQ(info(*alice, "strictleave").rn1_generation, 1u);

    ASSERT_TRUE(carol->leave("strictleave").ok());
    const auto at_alice = sync(*alice);  // alice has may_remove: she rotates
    EXPECT_TRUE(has_event(at_alice, Kind::notice, "RN1 rotated to generation 2")) << describe(at_alice);
    EXPECT_EQ(info(*alice, "strictleave").rn1_generation, 2u);
    (void)sync(*bob);  // bob lacks may_remove: he adopts alice's generation
    EXPECT_EQ(info(*bob, "strictleave").rn1_generation, 2u);
    const auto again = sync(*alice);  // exactly one rotation per removal
    EXPECT_FALSE(has_event(again, Kind::notice, "RN1 rotated")) << describe(again);

    ASSERT_TRUE(bob->send("strictleave", "after carol left").ok());
    const auto at_alice_later = recv(*alice, "strictleave");
    const Event* m = message_with(at_alice_later, "after carol left");
    ASSERT_NE(m, nullptr) << describe(at_alice_later);
    EXPECT_EQ(m->rn1_generation, 2u);
    EXPECT_EQ(message_with(recv(*carol, "strictleave"), "after carol left"), nullptr);
}

TEST_F(MemberE2e, NewMemberCannotReadEarlierMessages) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("history"));
    ASSERT_TRUE(alice->send("history", "before carol 1").ok());
    ASSERT_TRUE(alice->send("history", "before carol 2").ok());
    const auto stored = relay_group_messages(d);  // bob has not fetched them: the relay holds both
    ASSERT_GE(stored.size(), 2u);
    const auto at_bob = recv(*bob, "history");
    ASSERT_NE(message_with(at_bob, "before carol 2"), nullptr) << describe(at_bob);
    const std::string gid = gid_of(*alice, "history");

    carol = d.member("carol");
    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, "history"));
    ASSERT_TRUE(alice->send("history", "after carol").ok());
    const auto at_carol = recv(*carol, std::nullopt);
    ASSERT_NE(message_with(at_carol, "after carol"), nullptr) << describe(at_carol);
    for (const auto& t : texts(at_carol)) EXPECT_EQ(t.find("before carol"), std::string::npos) << t;

    carol.reset();
    const Held held = read_store(d, "carol", gid);
    ASSERT_TRUE(held.keys && held.keys->ready());
    const auto current = *held.keys->current();
    auto carol_schedule = held.keys->schedule(current);
    ASSERT_TRUE(carol_schedule.ok());
    for (const auto& bytes : stored) {
        auto parsed = member::parse_group_message(as_bytes(bytes));
        ASSERT_TRUE(parsed.ok());
        const member::EpochId epoch{parsed->header().rn1_generation(), parsed->header().rn2_epoch()};
        EXPECT_LT(epoch.rn2_epoch, current.rn2_epoch);
        EXPECT_FALSE(held.keys->schedule(epoch).ok()) << "carol holds the RN2 of an epoch before her join";
        auto opened = member::open_message(*parsed, *carol_schedule);
        ASSERT_FALSE(opened.ok());
        EXPECT_NE(opened.error().message.find("key-confirmation id differs"), std::string::npos);
    }
}

// 2(e), 2(f): a sender's messages replayed, pushed out of the replay window, altered, or made
// under another GK are refused with their reason, and the sync carries on to a good one. The
// attacker holds bob's identity key and a valid membership statement (a relay that injects, or a
// member's stolen device), so only the member's own checks stand in the way.
TEST_F(MemberE2e, ReplayReorderTamperAndWrongGroupKeyAreRefused) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("guarded"));
    ASSERT_TRUE(bob->send("guarded", "genuine").ok());
    ASSERT_NE(message_with(recv(*alice, "guarded"), "genuine"), nullptr);
    const std::string gid_hex = gid_of(*alice, "guarded");
    bob.reset();
    const Held held = read_store(d, "bob", gid_hex);
    ASSERT_TRUE(held.identity && held.keys && held.keys->ready());
    const member::EpochId epoch = *held.keys->current();
    auto schedule = held.keys->schedule(epoch);
    ASSERT_TRUE(schedule.ok());
    const ByteView gid = as_bytes(held.group.group_id());

    auto gms = gms::GmsClient::connect(*net::parse_endpoint(d.gms_endpoint(), "gms"), d.gms_fingerprint());
    ASSERT_TRUE(gms.ok());
    ASSERT_TRUE((*gms)->login("bob", Deployment::password_of("bob")).ok());
    auto statement = (*gms)->statement(gid);
    ASSERT_TRUE(statement.ok()) << statement.error().message;
    auto relay = relay::RelayClient::connect(*net::parse_endpoint(d.relay_endpoint(), "relay"), d.relay_fingerprint(),
                                             *held.identity);
    ASSERT_TRUE(relay.ok());
    auto publish = [&](const Bytes& payload) {
        auto id = (*relay)->publish(gid, *statement, v1::ENVELOPE_TYPE_GROUP_MESSAGE, payload);
        ASSERT_TRUE(id.ok()) << id.error().message;
    };
    auto protect = [&](std::uint64_t sequence, const std::string& text, const crypto::EpochKeySchedule& keys) {
        auto m = member::protect_message(gid, epoch, keys, *held.identity, sequence, as_bytes(text));
        EXPECT_TRUE(m.ok());
        return m.ok() ? *m : Bytes{};
    };

    const Bytes first = protect(100, "seq 100", *schedule);
    publish(first);
    publish(first);  // the same bytes again, under a new envelope id
    publish(protect(100 + member::ReplayWindow::kWindow + 10, "far ahead", *schedule));
    publish(protect(101, "too old now", *schedule));

    const Bytes to_alter = protect(2000, "altered", *schedule);
    auto parsed = member::parse_group_message(to_alter);
    ASSERT_TRUE(parsed.ok());
    std::string ciphertext = parsed->ciphertext();
    ciphertext[0] = static_cast<char>(ciphertext[0] ^ 1);
    parsed->set_ciphertext(ciphertext);
    const std::string altered = parsed->SerializeAsString();
    publish(Bytes(altered.begin(), altered.end()));
    const auto resigned = held.identity->sign(member::group_message_signed_bytes(*parsed));
    parsed->set_signature(std::string(resigned.begin(), resigned.end()));
    const std::string altered_resigned = parsed->SerializeAsString();
    publish(Bytes(altered_resigned.begin(), altered_resigned.end()));

    const auto other_gk = schedule_from(crypto::make_rn1(), held.keys->path()->rn2(), "guarded");
    publish(protect(2001, "other group key", other_gk));
    publish(protect(2002, "good again", *schedule));

    const auto events = sync(*alice);  // recv() would give refusals as notices
    const std::string all = describe(events);
    EXPECT_NE(message_with(events, "seq 100"), nullptr) << all;
    EXPECT_NE(message_with(events, "far ahead"), nullptr) << all;
    EXPECT_NE(message_with(events, "good again"), nullptr) << all;
    for (const char* refused : {"too old now", "altered", "other group key"}) {
        EXPECT_EQ(message_with(events, refused), nullptr) << refused << all;
    }
    EXPECT_EQ(std::count_if(events.begin(), events.end(),
                            [](const Event& e) { return e.kind == Kind::message && e.text == "seq 100"; }),
              1);
    EXPECT_TRUE(has_event(events, Kind::refused, "message refused: replayed message")) << all;
    EXPECT_TRUE(has_event(events, Kind::refused, "sequence 101 is older than the replay window")) << all;
    EXPECT_TRUE(has_event(events, Kind::refused, "signature does not verify")) << all;
    EXPECT_TRUE(has_event(events, Kind::refused, "ciphertext was altered")) << all;
    EXPECT_TRUE(has_event(events, Kind::refused, "key-confirmation id differs: the sender holds a different group key"))
        << all;
    // bob sent 0 ("genuine"), then these start at 100. The jump past the window leaves 101-110
    // behind unseen: the holes are reported at once. 2000 and 2001 were refused but signed by
    // bob, so they count as arrived.
    EXPECT_TRUE(has_event(events, Kind::missing, "109 messages from bob never arrived (sequence 1-99, 101-110)"))
        << all;
    EXPECT_FALSE(has_event(events, Kind::missing, "2000")) << all;
    EXPECT_FALSE(has_event(events, Kind::missing, "2001")) << all;
}

// 2(e): a relay that delivers envelopes again (rolled back to an older copy of its store, with
// the same ids): the member drops them by id, silently, and shows nothing twice.
TEST_F(MemberE2e, RelayRedeliveryIsDroppedById) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("rollback"));
    ASSERT_TRUE(alice->send("rollback", "exactly once").ok());
    const std::uint16_t port = d.relay_port();
    alice.reset();
    bob.reset();
    d.stop_relay();
    const auto snapshot = d.dir() / "relay-snapshot";
    std::filesystem::copy(d.relay_dir(), snapshot, std::filesystem::copy_options::recursive);
    ASSERT_TRUE(d.start_relay(port));

    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    const auto first = recv(*bob, "rollback");
    ASSERT_NE(message_with(first, "exactly once"), nullptr) << describe(first);
    bob.reset();

    d.stop_relay();
    std::filesystem::remove_all(d.relay_dir());
    std::filesystem::rename(snapshot, d.relay_dir());
    ASSERT_TRUE(d.start_relay(port));
    ASSERT_FALSE(relay_group_messages(d).empty());  // the relay does hold it again, unacknowledged
    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    const auto again = recv(*bob, std::nullopt);
    EXPECT_EQ(message_with(again, "exactly once"), nullptr) << describe(again);
    for (const auto& e : again) EXPECT_NE(e.kind, Kind::refused) << e.text;
}

// 2(f): the relay's administrator deletes messages from its store. The receiver reports each
// hole in the sender's numbers once, as `missing`; what did arrive still opens. A message that
// arrives but cannot be opened is refused, not also reported missing.
TEST_F(MemberE2e, MessagesTheRelayDroppedAreReportedMissing) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("lossy"));
    for (const char* text : {"one", "two", "three", "four"}) ASSERT_TRUE(alice->send("lossy", text).ok());
    const std::uint16_t port = d.relay_port();
    alice.reset();
    bob.reset();  // nothing fetched yet
    d.stop_relay();
    ASSERT_NO_FATAL_FAILURE(drop_group_messages(d, {1, 2}));  // "two" and "three", by arrival order
    ASSERT_TRUE(d.start_relay(port));

    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    const auto events = recv(*bob, "lossy");
    const std::string all = describe(events);
    EXPECT_EQ(texts(events), (std::vector<std::string>{"alice: one", "alice: four"})) << all;
    const auto missing = std::count_if(events.begin(), events.end(), [](const Event& e) { return e.kind == Kind::missing; });
    EXPECT_EQ(missing, 1) << all;
    EXPECT_TRUE(has_event(events, Kind::missing, "2 messages from alice never arrived (sequence ")) << all;

    // Reported once; later traffic without holes reports nothing more.
    alice = d.reopen("alice");
    ASSERT_TRUE(alice);
    ASSERT_TRUE(alice->send("lossy", "five").ok());
    const auto later = recv(*bob, "lossy");
    EXPECT_EQ(texts(later), (std::vector<std::string>{"alice: five"})) << describe(later);
    EXPECT_FALSE(has_event(later, Kind::missing, "")) << describe(later);
}

// 2(g): a member offline while messages are sent and while a join and a removal rekey the group
// gets the messages and the same epoch at its next sync.
TEST_F(MemberE2e, OfflineMemberCatchesUp) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("catchup"));
    carol = d.member("carol");
    dave = d.member("dave");
    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, "catchup"));
    carol.reset();  // offline

    ASSERT_TRUE(alice->send("catchup", "while carol is away 1").ok());
    ASSERT_NO_FATAL_FAILURE(join(*alice, *dave, "catchup"));
    ASSERT_TRUE(dave->send("catchup", "dave says hi").ok());
    ASSERT_TRUE(alice->remove("catchup", "bob").ok());
    ASSERT_TRUE(alice->send("catchup", "while carol is away 2").ok());
    const GroupInfo a = info(*alice, "catchup");

    carol = d.reopen("carol");
    ASSERT_TRUE(carol);
    const auto events = sync(*carol);
    const std::string all = describe(events);
    for (const char* t : {"while carol is away 1", "while carol is away 2"}) {
        EXPECT_NE(message_with(events, t), nullptr) << t << all;
    }
    // dave's message is in an RN2 epoch that began and ended while carol was away (dave's join
    // to bob's removal): carol was a member then and it is within the grace, so her catch-up
    // carries its RN2 (docs/gms.md, recent RN2s).
    EXPECT_NE(message_with(events, "dave says hi"), nullptr) << all;
    const GroupInfo c = info(*carol, "catchup");
    EXPECT_EQ(c.rn1_generation, a.rn1_generation);
    EXPECT_EQ(c.rn2_epoch, a.rn2_epoch);
    EXPECT_EQ(c.membership_epoch, a.membership_epoch);
    ASSERT_TRUE(carol->send("catchup", "carol is back").ok());
    ASSERT_NE(message_with(recv(*dave, "catchup"), "carol is back"), nullptr);
}

// 2(g), 2(d): bob is offline at epoch E; carol joins (E+1); alice sends; dave joins (E+2). Back
// online, bob catches up by RN2 inquiry and still opens alice's message: he was a member at E+1
// and it is within the grace of two rekeys, so the GMS's answer carries that epoch's RN2 although
// a join ended it. dave, who joined at E+2, is never given it and cannot open the message even
// with a copy from the relay's store.
TEST_F(MemberE2e, OfflineMemberOpensMessagesFromBeforeALaterJoin) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("missed"));
    carol = d.member("carol");
    dave = d.member("dave");
    ASSERT_TRUE(carol && dave);
    const std::string gid = gid_of(*alice, "missed");
    const std::uint64_t away = info(*bob, "missed").rn2_epoch;
    bob.reset();  // offline

    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, "missed"));
    ASSERT_TRUE(alice->send("missed", "while bob is away").ok());
    std::vector<std::string> sent;  // the message as the relay holds it: bob has not fetched it
    for (const auto& bytes : relay_group_messages(d)) {
        auto parsed = member::parse_group_message(as_bytes(bytes));
        ASSERT_TRUE(parsed.ok());
        if (parsed->header().rn2_epoch() == away + 1) sent.push_back(bytes);
    }
    ASSERT_EQ(sent.size(), 1u) << "alice sends in carol's join epoch";
    ASSERT_NO_FATAL_FAILURE(join(*alice, *dave, "missed"));
    ASSERT_EQ(info(*alice, "missed").rn2_epoch, away + 2);

    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    const auto at_bob = sync(*bob);
    const Event* m = message_with(at_bob, "while bob is away");
    ASSERT_NE(m, nullptr) << describe(at_bob);
    EXPECT_EQ(m->sender, "alice");
    EXPECT_EQ(m->rn2_epoch, away + 1);
    EXPECT_EQ(info(*bob, "missed").rn2_epoch, away + 2);

    for (const auto& t : texts(recv(*dave, "missed"))) EXPECT_EQ(t.find("while bob is away"), std::string::npos) << t;
    dave.reset();
    const Held held = read_store(d, "dave", gid);
    ASSERT_TRUE(held.keys && held.keys->ready());
    const auto current = *held.keys->current();
    EXPECT_EQ(current.rn2_epoch, away + 2);
    auto dave_schedule = held.keys->schedule(current);
    ASSERT_TRUE(dave_schedule.ok());
    auto parsed = member::parse_group_message(as_bytes(sent.front()));
    ASSERT_TRUE(parsed.ok());
    const member::EpochId epoch{parsed->header().rn1_generation(), parsed->header().rn2_epoch()};
    EXPECT_FALSE(held.keys->schedule(epoch).ok()) << "dave holds the RN2 of an epoch before his join";
    auto opened = member::open_message(*parsed, *dave_schedule);
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.error().message.find("key-confirmation id differs"), std::string::npos);
}

// 2(h): a relay that swaps the invitee's key in the acceptance is caught: the inviter answers
// only the key the GMS registered for the invitee. Unit level, then through a real sync.
TEST_F(MemberE2e, AcceptanceWithAnotherKeyIsRefused) {
    const auto inviter = crypto::SigningKey::generate();
    const auto invitee = crypto::SigningKey::generate();
    const auto swapped = crypto::SigningKey::generate();
    const Bytes gid(16, 7);
    v1::MembershipStatement statement;
    const v1::Invitation sent =
        member::make_invitation(inviter, "alice", gid, v1::Rights{}, invitee.public_key(), statement);
    EXPECT_TRUE(member::verify_acceptance(member::make_acceptance(invitee, "bob", sent), sent).ok());
    auto bad = member::verify_acceptance(member::make_acceptance(swapped, "bob", sent), sent);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::forbidden);
    EXPECT_NE(bad.error().message.find("acceptance key differs from the key the GMS registered for bob"),
              std::string::npos);

    alice = d.member("alice");
    bob = d.member("bob");
    ASSERT_TRUE(alice && bob);
    ASSERT_TRUE(alice->create_group("swapped", GroupPolicyOptions{3600, 0, false}).ok());
    const std::string gid_hex = gid_of(*alice, "swapped");
    ASSERT_TRUE(alice->invite("swapped", "bob", Rights{}).ok());
    auto pending = bob->invitations();
    ASSERT_TRUE(pending.ok() && pending->size() == 1);

    // The attacker answers bob's invitation (it saw it in transit) with its own key.
    bob.reset();
    v1::ReceivedInvitation received;
    {
        auto vault = member_store::Vault::open(d.home("bob") / "member.db", as_bytes(Deployment::passphrase_of("bob")));
        ASSERT_TRUE(vault.ok());
        auto found = member_client::get_message(*vault, "invitation", gid_hex, received);
        ASSERT_TRUE(found.ok() && *found);
    }
    const v1::Acceptance forged = member::make_acceptance(swapped, "bob", received.invitation());
    auto relay =
        relay::RelayClient::connect(*net::parse_endpoint(d.relay_endpoint(), "relay"), d.relay_fingerprint(), swapped);
    ASSERT_TRUE(relay.ok());
    const std::string payload = forged.SerializeAsString();
    ASSERT_TRUE(
        (*relay)
            ->send(as_bytes(received.invitation().inviter_key()), v1::ENVELOPE_TYPE_ACCEPTANCE, as_bytes(payload))
            .ok());
    const auto events = sync(*alice);
    EXPECT_TRUE(
        has_event(events, Kind::refused,
                  "acceptance from bob refused: acceptance key differs from the key the GMS registered for bob"))
        << describe(events);
    EXPECT_FALSE(has_event(events, Kind::notice, "RN1 sent")) << describe(events);
    auto listed = alice->members("swapped");
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(listed->size(), 1u);  // the GMS was not told to add anyone

    // The genuine acceptance still goes through.
    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    ASSERT_TRUE(bob->accept("alice").ok());
    EXPECT_TRUE(has_event(sync(*alice), Kind::notice, "bob accepted: RN1 sent"));
    EXPECT_TRUE(has_event(sync(*bob), Kind::notice, "joined swapped; group key ready"));
}

// 2(i): verify() marks a contact; if the GMS then answers another key for that account (a
// malicious GMS administrator, simulated by editing its database while it is stopped), every
// use of the contact fails, while an unverified contact is re-pinned silently (TOFU).
TEST_F(MemberE2e, VerifiedContactWhoseKeyChangesIsAnError) {
    alice = d.member("alice");
    bob = d.member("bob");
    carol = d.member("carol");
    ASSERT_TRUE(alice && bob && carol);
    auto fp = alice->fingerprint_of("bob");
    ASSERT_TRUE(fp.ok());
    EXPECT_EQ(*fp, bob->fingerprint());
    EXPECT_NE(*fp, alice->fingerprint());
    ASSERT_TRUE(alice->verify("bob").ok());
    ASSERT_TRUE(alice->fingerprint_of("carol").ok());  // known, not verified
    auto self = alice->verify("alice");
    ASSERT_FALSE(self.ok());
    EXPECT_NE(self.error().message.find("you cannot verify yourself"), std::string::npos);
    auto nobody = alice->verify("nobody");
    EXPECT_FALSE(nobody.ok());
    ASSERT_TRUE(alice->create_group("contacts", GroupPolicyOptions{3600, 0, false}).ok());

    const std::uint16_t port = d.gms_port();
    alice.reset();
    d.stop_gms();
    int edited = 0;
    for (const auto& file : files_under(d.gms_dir())) {
        if (file.extension() != ".db") continue;
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
        for (const char* account : {"bob", "carol"}) {
            const auto other = crypto::SigningKey::generate().public_key();
            sqlite3_stmt* st = nullptr;
            ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE accounts SET identity_key = ?1 WHERE name = ?2", -1, &st, nullptr),
                      SQLITE_OK);
            sqlite3_bind_blob(st, 1, other.data(), static_cast<int>(other.size()), SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, account, -1, SQLITE_TRANSIENT);
            EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
            edited += sqlite3_changes(db);
            sqlite3_finalize(st);
        }
        sqlite3_close(db);
    }
    ASSERT_EQ(edited, 2);
    ASSERT_TRUE(d.start_gms(port));

    alice = d.reopen("alice");
    ASSERT_TRUE(alice);
    auto changed = alice->fingerprint_of("bob");
    ASSERT_FALSE(changed.ok());
    EXPECT_EQ(changed.error().code, Errc::auth_failed);
    EXPECT_NE(changed.error().message.find("the identity key of verified contact bob has changed"), std::string::npos)
        << changed.error().message;
    auto invite = alice->invite("contacts", "bob", Rights{});
    ASSERT_FALSE(invite.ok());
    EXPECT_NE(invite.error().message.find("verified contact bob has changed"), std::string::npos);
    auto reverify = alice->verify("bob");
    EXPECT_FALSE(reverify.ok());
    auto carol_now = alice->fingerprint_of("carol");
    ASSERT_TRUE(carol_now.ok()) << carol_now.error().message;
    EXPECT_NE(*carol_now, carol->fingerprint());
}

// 2(j): garbage in a member's mailbox and in its group becomes a "refused" event naming the
// problem; the sync carries on and later envelopes are processed.
TEST_F(MemberE2e, GarbageEnvelopesAreRefusedAndTheSyncCarriesOn) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("garbage"));
    const auto stranger = crypto::SigningKey::generate();
    auto relay =
        relay::RelayClient::connect(*net::parse_endpoint(d.relay_endpoint(), "relay"), d.relay_fingerprint(), stranger);
    ASSERT_TRUE(relay.ok());
    auto alice_key = crypto::SigningKey::generate().public_key();
    {
        // alice's key: the inviter key bob's invitation named is not kept after the join; ask the GMS.
        auto gms = gms::GmsClient::connect(*net::parse_endpoint(d.gms_endpoint(), "gms"), d.gms_fingerprint());
        ASSERT_TRUE(gms.ok());
        ASSERT_TRUE((*gms)->login("bob", Deployment::password_of("bob")).ok());
        auto id = (*gms)->lookup("alice");
        ASSERT_TRUE(id.ok());
        std::copy(id->identity_key().begin(), id->identity_key().end(), alice_key.begin());
    }
    const std::string junk = "\xff\xff\xff\x0f not a protobuf at all";
    for (auto type : {v1::ENVELOPE_TYPE_INVITATION, v1::ENVELOPE_TYPE_ACCEPTANCE, v1::ENVELOPE_TYPE_RN1_DELIVERY}) {
        ASSERT_TRUE((*relay)->send(alice_key, type, as_bytes(junk)).ok());
    }
    ASSERT_TRUE(bob->send("garbage", "still flowing").ok());
    const auto events = sync(*alice);
    const std::string all = describe(events);
    EXPECT_TRUE(has_event(events, Kind::refused, "invitation refused: ")) << all;
    EXPECT_TRUE(has_event(events, Kind::refused, "acceptance refused: ")) << all;
    EXPECT_TRUE(has_event(events, Kind::refused, "RN1 delivery refused: ")) << all;
    EXPECT_NE(message_with(events, "still flowing"), nullptr) << all;
    for (const auto& e : events) {
        if (e.kind == Kind::refused) {
            EXPECT_GT(e.text.size(), std::string("acceptance refused: ").size()) << e.text;
        }
    }
    ASSERT_TRUE(alice->send("garbage", "alice fine").ok());
    EXPECT_NE(message_with(recv(*bob, "garbage"), "alice fine"), nullptr);
}

// 2(k): the wrong passphrase opens nothing.
TEST_F(MemberE2e, WrongPassphraseIsRefused) {
    alice = d.member("alice");
    ASSERT_TRUE(alice);
    alice.reset();
    auto wrong = Member::open(d.home("alice"), "not the passphrase");
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().code, Errc::auth_failed);
    EXPECT_EQ(wrong.error().message, "wrong passphrase");
    auto missing = Member::open(d.dir() / "nobody", "x");
    ASSERT_FALSE(missing.ok());
    auto right = Member::open(d.home("alice"), Deployment::passphrase_of("alice"));
    ASSERT_TRUE(right.ok()) << right.error().message;
    EXPECT_EQ((*right)->account(), "alice");
}

// 2(l): two members rotate RN1 at the same moment. The GMS orders the generations: either both
// claims found the same next generation and one lost (it adopts the winner's), or one saw the
// other's first and went one further. Either way, after syncs both send and read in the same
// generation.
TEST_F(MemberE2e, ConcurrentRn1RotationsConverge) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("race"));
    const GroupInfo before = info(*alice, "race");
    std::barrier start(2);
    Status a_status, b_status;
    std::thread ta([&] {
        start.arrive_and_wait();
        a_status = alice->rotate_rn1("race");
    });
    std::thread tb([&] {
        start.arrive_and_wait();
        b_status = bob->rotate_rn1("race");
    });
    ta.join();
    tb.join();
    ASSERT_TRUE(a_status.ok()) << a_status.error().message;
    ASSERT_TRUE(b_status.ok()) << b_status.error().message;

    const auto a_events = sync(*alice);
    const auto b_events = sync(*bob);
    const GroupInfo a = info(*alice, "race");
    const GroupInfo b = info(*bob, "race");
    EXPECT_EQ(a.rn1_generation, b.rn1_generation);
    EXPECT_GT(a.rn1_generation, before.rn1_generation);
    EXPECT_LE(a.rn1_generation, before.rn1_generation + 2);
    ASSERT_TRUE(alice->send("race", "from alice").ok());
    ASSERT_TRUE(bob->send("race", "from bob").ok());
    const auto at_bob = recv(*bob, "race");
    const auto at_alice = recv(*alice, "race");
    const Event* fa = message_with(at_bob, "from alice");
    const Event* fb = message_with(at_alice, "from bob");
    ASSERT_NE(fa, nullptr) << describe(at_bob);
    ASSERT_NE(fb, nullptr) << describe(at_alice);
    EXPECT_EQ(fa->rn1_generation, a.rn1_generation);
    EXPECT_EQ(fb->rn1_generation, a.rn1_generation);
    const bool lost = has_event(at_alice, Kind::notice, "another member rotated RN1 first") ||
                      has_event(at_bob, Kind::notice, "another member rotated RN1 first");
    if (lost) {
        EXPECT_EQ(a.rn1_generation, before.rn1_generation + 1);
    }
    (void)a_events;
    (void)b_events;
}

// The claimers the GMS reports reach back through the RN1 grace: carol, offline while alice
// rotates to generation 2 and bob to 3, receives both deliveries when she returns, takes each
// from its claimer (generation 2's is not the current one any more) and opens what was sent in
// both generations.
TEST_F(MemberE2e, MemberOfflineThroughTwoRotationsTakesBoth) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("twice"));
    carol = d.member("carol");
    ASSERT_TRUE(carol);
    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, "twice"));
    carol.reset();  // offline

    ASSERT_TRUE(alice->rotate_rn1("twice").ok());
    ASSERT_TRUE(alice->send("twice", "alice in 2").ok());
    ASSERT_TRUE(bob->rotate_rn1("twice").ok());  // takes alice's generation 2 first, then claims 3
    ASSERT_EQ(info(*bob, "twice").rn1_generation, 3u);
    ASSERT_TRUE(bob->send("twice", "bob in 3").ok());

    carol = d.reopen("carol");
    ASSERT_TRUE(carol);
    const auto events = sync(*carol);
    const std::string all = describe(events);
    for (const auto& e : events) EXPECT_NE(e.kind, Kind::refused) << all;
    const Event* in2 = message_with(events, "alice in 2");
    const Event* in3 = message_with(events, "bob in 3");
    ASSERT_NE(in2, nullptr) << all;
    ASSERT_NE(in3, nullptr) << all;
    EXPECT_EQ(in2->rn1_generation, 2u);
    EXPECT_EQ(in3->rn1_generation, 3u);
    EXPECT_EQ(info(*carol, "twice").rn1_generation, 3u);
}

// 2(m): RN1 generations are the GMS's to number, and a rotation's RN1 is taken only from the
// member whose claim of that generation won. bob (his device in an attacker's hands: his
// identity key read from his store) seals an RN1 of his own as "generation 2" to alice and carol
// while nobody has claimed it; then alice claims generation 2 and rotates. Each refuses bob's
// RN1 with the reason — alice because nobody claimed it yet, carol (offline until after alice's
// claim, so bob's arrives first) because alice claimed it — keeps alice's, and all three read
// each other in generation 2. Without the check the first RN1 to arrive won and the group forked.
TEST_F(MemberE2e, Rn1OfAGenerationAnotherMemberClaimedIsRefused) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("claimed"));
    carol = d.member("carol");
    ASSERT_TRUE(carol);
    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, "claimed"));
    const std::string gid_hex = gid_of(*alice, "claimed");
    ASSERT_EQ(info(*alice, "claimed").rn1_generation, 1u);
    carol.reset();  // offline
    bob.reset();
    const Held held = read_store(d, "bob", gid_hex);
    ASSERT_TRUE(held.identity && held.keys && held.keys->ready());

    // bob's own RN1 for generation 2, sealed and signed as a rotation, to alice and carol.
    auto gms = gms::GmsClient::connect(*net::parse_endpoint(d.gms_endpoint(), "gms"), d.gms_fingerprint());
    ASSERT_TRUE(gms.ok());
    ASSERT_TRUE((*gms)->login("bob", Deployment::password_of("bob")).ok());
    auto relay = relay::RelayClient::connect(*net::parse_endpoint(d.relay_endpoint(), "relay"), d.relay_fingerprint(),
                                             *held.identity);
    ASSERT_TRUE(relay.ok());
    const crypto::Rn1 forged_rn1 = crypto::make_rn1();
    for (const char* account : {"alice", "carol"}) {
        auto id = (*gms)->lookup(account);
        ASSERT_TRUE(id.ok()) << id.error().message;
        crypto::SignPublicKey recipient{};
        std::copy(id->identity_key().begin(), id->identity_key().end(), recipient.begin());
        auto delivery = member::make_rn1_delivery(*held.identity, as_bytes(held.group.group_id()), 2, {}, forged_rn1,
                                                  held.keys->name(), recipient);
        ASSERT_TRUE(delivery.ok()) << delivery.error().message;
        ASSERT_TRUE(
            (*relay)->send(recipient, v1::ENVELOPE_TYPE_RN1_DELIVERY, as_bytes(delivery->SerializeAsString())).ok());
    }

    // alice's rotation syncs first: bob's RN1 arrives for a generation nobody has claimed.
    ASSERT_TRUE(alice->rotate_rn1("claimed").ok());
    const GroupInfo a = info(*alice, "claimed");
    EXPECT_EQ(a.rn1_generation, 2u);
    const auto at_alice = recv(*alice, "claimed");  // the refusal names the group it was for
    EXPECT_TRUE(has_event(at_alice, Kind::refused,
                          "RN1 delivery refused: RN1 generation 2 from bob was not claimed at the GMS (its current "
                          "generation is 1)"))
        << describe(at_alice);
    EXPECT_TRUE(has_event(at_alice, Kind::notice, "RN1 rotated to generation 2")) << describe(at_alice);

    // carol: bob's RN1 first, then alice's; alice's claim of generation 2 decides.
    carol = d.reopen("carol");
    ASSERT_TRUE(carol);
    const auto at_carol = sync(*carol);
    EXPECT_TRUE(has_event(at_carol, Kind::refused,
                          "RN1 delivery refused: RN1 generation 2 was claimed at the GMS by alice, not by bob"))
        << describe(at_carol);
    EXPECT_TRUE(has_event(at_carol, Kind::notice, "RN1 generation 2 received")) << describe(at_carol);
    EXPECT_EQ(info(*carol, "claimed").rn1_generation, 2u);

    // The group did not fork: everyone reads everyone in generation 2, bob's honest device too.
    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    ASSERT_TRUE(alice->send("claimed", "from alice in 2").ok());
    ASSERT_TRUE(carol->send("claimed", "from carol in 2").ok());
    ASSERT_TRUE(bob->send("claimed", "from bob in 2").ok());
    for (Member* m : {alice.get(), bob.get(), carol.get()}) {
        const auto got = recv(*m, "claimed");
        for (const char* text : {"from alice in 2", "from carol in 2", "from bob in 2"}) {
            if (std::string(text).find(m->account()) != std::string::npos) continue;
            const Event* e = message_with(got, text);
            ASSERT_NE(e, nullptr) << m->account() << " lacks '" << text << "'" << describe(got);
            EXPECT_EQ(e->rn1_generation, 2u);
        }
        for (const auto& e : got) EXPECT_EQ(e.text.find("key-confirmation id differs"), std::string::npos) << e.text;
    }
}

}  // namespace
}  // namespace twofold::testing
