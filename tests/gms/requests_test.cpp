// Every GMS request type over real TLS, and rights enforcement for every forbidden combination.
#include "gms/sqlite_store.h"
#include "gms_fixture.h"
#include "wire/message.h"
#include "wire/statement.h"

namespace twofold::gms::testing {
namespace {

class GmsRequests : public GmsFixture {};
TWOFOLD_ON_EVERY_STORE(GmsRequests);

TEST_P(GmsRequests, RegisterLoginAndDuplicateNames) {
    Member alice = member("alice");
    auto other = connect();
    const Status dup = other->register_account("alice", "another-password", crypto::SigningKey::generate().public_key());
    ASSERT_FALSE(dup.ok());
    EXPECT_NE(dup.error().message.find("already exists"), std::string::npos);
    auto wrong = other->login("alice", "not-her-password");
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().code, Errc::auth_failed);
    auto nobody = other->login("nobody", "whatever-password");
    ASSERT_FALSE(nobody.ok());
    EXPECT_EQ(nobody.error().message, wrong.error().message);  // no account enumeration
}

TEST_P(GmsRequests, WeakPasswordsAndBadIdentityKeysAreRefused) {
    auto c = connect();
    const Status weak = c->register_account("bob", "short", crypto::SigningKey::generate().public_key());
    ASSERT_FALSE(weak.ok());
    EXPECT_NE(weak.error().message.find("password"), std::string::npos);
    crypto::SignPublicKey bad{};  // not a point on the curve? all-zero is small order
    const Status key = c->register_account("bob", "long-enough-password", bad);
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("identity_key"), std::string::npos);
}

TEST_P(GmsRequests, EverythingButRegisterAndLoginNeedsALogin) {
    auto c = connect();
    const Bytes gid = new_group_id();
    auto r = c->create_group(gid, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::auth_failed);
    EXPECT_NE(r.error().message.find("log in"), std::string::npos);
}

TEST_P(GmsRequests, FailedLoginsAreThrottled) {
    member("carol");
    auto c = connect();
    Errc last = Errc::internal;
    for (int i = 0; i < 8; ++i) {
        auto r = c->login("carol", "wrong-password-" + std::to_string(i));
        ASSERT_FALSE(r.ok());
        last = r.error().code;
    }
    EXPECT_EQ(last, Errc::rate_limited);
    // Even the right password waits out the lockout.
    auto r = c->login("carol", "password-carol");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::rate_limited);
}

TEST_P(GmsRequests, CreatorHoldsEveryRightAndGetsAWelcome) {
    Member alice = member("alice");
    const Bytes gid = new_group_id();
    v1::GroupPolicy policy;
    policy.set_rn2_interval_seconds(3600);
    policy.set_strict(true);
    auto g = alice.client->create_group(gid, policy);
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_TRUE(g->rights().may_invite());
    EXPECT_TRUE(g->rights().may_remove());
    EXPECT_TRUE(g->policy().strict());
    EXPECT_EQ(g->policy().rn2_interval_seconds(), 3600u);
    EXPECT_EQ(g->rn2_epoch(), 1u);
    auto push = alice.client->next_push(5s);
    ASSERT_TRUE(push.ok()) << push.error().message;
    ASSERT_TRUE(push->has_welcome());
    EXPECT_EQ(push->welcome().group_id(), std::string(gid.begin(), gid.end()));
    auto again = alice.client->create_group(gid, policy);
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
}

TEST_P(GmsRequests, RightsAreEnforcedForEveryCombination) {
    Member owner = member("owner");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(owner.client->create_group(gid, {}).ok());
    // One member per combination of rights.
    struct Case {
        const char* name;
        bool invite;
        bool remove;
    };
    const Case cases[] = {{"none", false, false}, {"inviter", true, false}, {"remover", false, true}, {"both", true, true}};
    std::vector<Member> members;
    for (const Case& c : cases) {
        members.push_back(member(c.name));
        auto e = owner.client->add_member(gid, c.name, c.invite, c.remove);
        ASSERT_TRUE(e.ok()) << c.name << ": " << e.error().message;
    }
    Member target = member("target");
    for (std::size_t i = 0; i < members.size(); ++i) {
        const Case& c = cases[i];
        GmsClient& cl = *members[i].client;
        for (const bool grant_invite : {false, true}) {
            for (const bool grant_remove : {false, true}) {
                auto add = cl.add_member(gid, "target", grant_invite, grant_remove);
                const bool allowed = c.invite && (!grant_invite || c.invite) && (!grant_remove || c.remove);
                ASSERT_EQ(add.ok(), allowed) << c.name << " granting " << grant_invite << grant_remove
                                             << (add.ok() ? "" : ": " + add.error().message);
                if (!allowed) {
                    EXPECT_EQ(add.error().code, Errc::forbidden);
                    EXPECT_NE(add.error().message.find(c.invite ? "cannot grant" : "missing right: may_invite"),
                              std::string::npos)
                        << add.error().message;
                } else {
                    ASSERT_TRUE(owner.client->remove_member(gid, "target").ok());
                }
            }
        }
        ASSERT_TRUE(owner.client->add_member(gid, "target", false, false).ok());
        auto rm = cl.remove_member(gid, "target");
        ASSERT_EQ(rm.ok(), c.remove) << c.name;
        if (!c.remove) {
            EXPECT_EQ(rm.error().code, Errc::forbidden);
            EXPECT_NE(rm.error().message.find("missing right: may_remove"), std::string::npos);
            ASSERT_TRUE(owner.client->remove_member(gid, "target").ok());
        }
    }
    // Outsiders can do nothing in the group.
    auto outsider = member("outsider");
    EXPECT_EQ(outsider.client->add_member(gid, "target", false, false).error().code, Errc::forbidden);
    EXPECT_EQ(outsider.client->statement(gid).error().code, Errc::forbidden);
    EXPECT_EQ(outsider.client->list_members(gid).error().code, Errc::forbidden);
    EXPECT_EQ(outsider.client->inquire(gid, 0).error().code, Errc::forbidden);
}

TEST_P(GmsRequests, UnknownGroupsAndMembersAreNamed) {
    Member alice = member("alice");
    const Bytes gid = new_group_id();
    auto r = alice.client->add_member(gid, "bob", false, false);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::unknown);
    EXPECT_NE(r.error().message.find("no such group"), std::string::npos);
    ASSERT_TRUE(alice.client->create_group(gid, {}).ok());
    auto nobody = alice.client->add_member(gid, "ghost", false, false);
    EXPECT_EQ(nobody.error().code, Errc::unknown);
    EXPECT_NE(nobody.error().message.find("ghost"), std::string::npos);
    member("bob");
    auto not_member = alice.client->remove_member(gid, "bob");
    EXPECT_EQ(not_member.error().code, Errc::unknown);
    EXPECT_NE(not_member.error().message.find("not a member"), std::string::npos);
}

TEST_P(GmsRequests, StatementsAndIdentitiesAreSignedByTheGms) {
    Member alice = member("alice");
    Member bob = member("bob");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(alice.client->create_group(gid, {}).ok());
    ASSERT_TRUE(alice.client->add_member(gid, "bob", true, false).ok());
    auto st = bob.client->statement(gid);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_TRUE(wire::verify_statement(*st, gms_key(), static_cast<std::uint64_t>(::time(nullptr))).ok());
    EXPECT_EQ(st->account(), "bob");
    EXPECT_TRUE(st->rights().may_invite());
    EXPECT_FALSE(st->rights().may_remove());
    EXPECT_EQ(st->epoch(), 2u);  // created at 1, bob's join made 2
    auto list = alice.client->list_members(gid);
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->size(), 2u);
    for (const auto& s : *list) {
        EXPECT_TRUE(wire::verify_statement(s, gms_key(), static_cast<std::uint64_t>(::time(nullptr))).ok());
    }
    auto id = alice.client->lookup("bob");
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(wire::verify_identity(*id, gms_key()).ok());
    EXPECT_EQ(id->identity_key(), std::string(bob.identity.public_key().begin(), bob.identity.public_key().end()));
}

// Beside a statement, the statements of who joined since the one the member held (or since its
// own join), so a member shows a broker its joiners before it publishes under their epoch.
TEST_P(GmsRequests, AStatementAnswerNamesWhoJoinedSinceTheKnownEpoch) {
    Member alice = member("alice");
    Member bob = member("bob");
    Member carol = member("carol");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(alice.client->create_group(gid, {}).ok());           // epoch 1
    ASSERT_TRUE(alice.client->add_member(gid, "bob", true, false).ok());    // 2
    ASSERT_TRUE(alice.client->add_member(gid, "carol", false, false).ok());  // 3
    const auto accounts = [](const std::vector<v1::MembershipStatement>& joined) {
        std::vector<std::string> out;
        for (const auto& j : joined) out.push_back(j.account());
        return out;
    };
    auto from_one = alice.client->statement_since(gid, 1);
    ASSERT_TRUE(from_one.ok()) << from_one.error().message;
    EXPECT_EQ(from_one->statement.account(), "alice");
    EXPECT_EQ(accounts(from_one->joined), (std::vector<std::string>{"carol", "bob"})) << "the latest first";
    for (const auto& j : from_one->joined) {
        EXPECT_TRUE(wire::verify_statement(j, gms_key(), static_cast<std::uint64_t>(::time(nullptr))).ok());
        EXPECT_EQ(j.group_id(), std::string(gid.begin(), gid.end()));
    }
    auto from_two = alice.client->statement_since(gid, 2);
    ASSERT_TRUE(from_two.ok());
    EXPECT_EQ(accounts(from_two->joined), std::vector<std::string>{"carol"});
    auto current = alice.client->statement_since(gid, 3);
    ASSERT_TRUE(current.ok());
    EXPECT_TRUE(current->joined.empty());
    // bob held nothing: those who joined after his own join (carol), not before (alice), not him.
    auto bobs = bob.client->statement_since(gid, 0);
    ASSERT_TRUE(bobs.ok());
    EXPECT_EQ(accounts(bobs->joined), std::vector<std::string>{"carol"});
    auto carols = carol.client->statement_since(gid, 0);
    ASSERT_TRUE(carols.ok());
    EXPECT_TRUE(carols->joined.empty());
}

TEST_P(GmsRequests, Rn1GenerationsAreOrderedFirstClaimWins) {
    Member alice = member("alice");
    Member bob = member("bob");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(alice.client->create_group(gid, {}).ok());
    ASSERT_TRUE(alice.client->add_member(gid, "bob", false, false).ok());
    auto won = alice.client->claim_rn1_generation(gid, 1);
    ASSERT_TRUE(won.ok()) << won.error().message;
    EXPECT_TRUE(won->won);
    EXPECT_EQ(won->current.generation(), 1u);
    EXPECT_EQ(won->current.account(), "alice");
    EXPECT_EQ(won->current.identity_key(), as_string(alice.identity.public_key()));
    // The loser is told who won, so it takes that member's RN1 and no other.
    auto lost = bob.client->claim_rn1_generation(gid, 1);
    ASSERT_TRUE(lost.ok()) << lost.error().message;
    EXPECT_FALSE(lost->won);
    EXPECT_EQ(lost->current.generation(), 1u);
    EXPECT_EQ(lost->current.account(), "alice");
    auto next = bob.client->claim_rn1_generation(gid, 2);
    ASSERT_TRUE(next.ok() && next->won);
    EXPECT_EQ(next->current.account(), "bob");
    auto skipped = alice.client->claim_rn1_generation(gid, 5);
    ASSERT_TRUE(skipped.ok());
    EXPECT_FALSE(skipped->won);
    EXPECT_EQ(skipped->current.generation(), 2u);
    EXPECT_EQ(skipped->current.account(), "bob");
}

TEST_P(GmsRequests, AcknowledgementsAreRecordedAndBounded) {
    Member alice = member("alice");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(alice.client->create_group(gid, {}).ok());
    EXPECT_EQ(*alice.client->acknowledge(gid, 1), 1u);
    auto future = alice.client->acknowledge(gid, 99);
    ASSERT_FALSE(future.ok());
    EXPECT_NE(future.error().message.find("beyond the current"), std::string::npos);
    auto login = alice.client->login("alice", "password-alice");
    ASSERT_TRUE(login.ok());
    ASSERT_EQ(login->groups_size(), 1);
    EXPECT_EQ(login->groups(0).acknowledged_epoch(), 1u);
}

// An ack without a request id is answered by nobody, so it waits for the next commit (decision
// 17): with nothing else happening, that is the next tick. Read through a second connection to
// the database, as the operator's `twofold-gms groups` does.
TEST_P(GmsRequests, UnansweredAcknowledgementsReachTheDiskByTheNextTick) {
    Member alice = member("alice");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(alice.client->create_group(gid, {}).ok());
    ASSERT_TRUE(alice.client->acknowledge_async(gid, 1).ok());
    auto store = open_store(store_, dir_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    std::uint64_t stored = 0;
    for (int i = 0; i < 100 && stored != 1; ++i) {
        std::this_thread::sleep_for(20ms);
        auto table = (*store)->group_table();
        ASSERT_TRUE(table.ok()) << table.error().message;
        ASSERT_EQ(table->size(), 1u);
        stored = table->front().acknowledged_epoch;
    }
    EXPECT_EQ(stored, 1u);
}

// Several acks from one member between commits become one row update with the latest epoch;
// they are on disk once anything on that connection is answered, and survive a restart.
TEST_P(GmsRequests, AcknowledgementsSurviveARestart) {
    Member alice = member("alice");
    Member bob = member("bob");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(alice.client->create_group(gid, {}).ok());
    ASSERT_TRUE(alice.client->add_member(gid, "bob", false, false).ok());
    ASSERT_TRUE(bob.client->acknowledge_async(gid, 1).ok());
    ASSERT_TRUE(bob.client->acknowledge_async(gid, 2).ok());
    ASSERT_TRUE(bob.client->statement(gid).ok());  // frames of one connection are handled in order
    alice.client.reset();
    bob.client.reset();
    stop();
    start();
    auto again = connect();
    auto login = again->login("bob", "password-bob");
    ASSERT_TRUE(login.ok()) << login.error().message;
    ASSERT_EQ(login->groups_size(), 1);
    EXPECT_EQ(login->groups(0).acknowledged_epoch(), 2u);
}

TEST_P(GmsRequests, LastMemberLeavingEndsTheGroup) {
    Member alice = member("alice");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(alice.client->create_group(gid, {}).ok());
    ASSERT_TRUE(alice.client->leave(gid).ok());
    EXPECT_EQ(alice.client->statement(gid).error().code, Errc::unknown);
}

}  // namespace
}  // namespace twofold::gms::testing
