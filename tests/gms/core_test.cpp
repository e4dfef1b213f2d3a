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

#include "crypto/gk.h"
#include "crypto/random.h"
#include "gms/core.h"
#include "gms/sqlite_store.h"
#include "member_keys.h"
#include "store/database.h"

namespace twofold::gms::testing {
namespace {

constexpr std::uint64_t kStartMs = 1'800'000'000'000;  // 2027
constexpr std::uint32_t kIntervalSeconds = 3600;

// A welcome's sealed recent RN2s, opened: epoch -> RN2.
std::map<std::uint64_t, crypto::Rn2> recent_of(const v1::Welcome& w, const crypto::SigningKey& identity) {
    std::map<std::uint64_t, crypto::Rn2> out;
    if (w.sealed_recent().empty()) return out;
    auto list = crypto::open_sealed(crypto::X25519KeyPair::from_signing_key(identity), as_bytes(w.sealed_recent()));
    EXPECT_TRUE(list.ok()) << list.error().message;
    if (!list.ok()) return out;
    constexpr std::size_t kItem = 8 + crypto::kRn2Bytes;
    EXPECT_EQ(list->size() % kItem, 0u);
    for (std::size_t at = 0; at + kItem <= list->size(); at += kItem) {
        const ByteView item = list->span().subspan(at, kItem);
        std::uint64_t e = 0;
        for (std::size_t i = 0; i < 8; ++i) e = (e << 8) | item[i];
        EXPECT_LT(e, w.epoch()) << "a recent RN2 is of an epoch before the welcome's";
        out.emplace(e, crypto::Rn2::copy_of(item.subspan<8, crypto::kRn2Bytes>()));
    }
    return out;
}

std::set<std::uint64_t> epochs_of(const std::map<std::uint64_t, crypto::Rn2>& recent) {
    std::set<std::uint64_t> out;
    for (const auto& [e, rn2] : recent) out.insert(e);
    return out;
}

// The claims a status or welcome reports, as "generation:account" ("3:" when the GMS does not
// know who claimed it), each key checked against its account's.
std::vector<std::string> claims_of(const google::protobuf::RepeatedPtrField<v1::Rn1Claim>& claims,
                                   const std::map<std::string, crypto::SignPublicKey>& keys) {
    std::vector<std::string> out;
    for (const auto& c : claims) {
        out.push_back(std::to_string(c.generation()) + ":" + c.account());
        if (c.account().empty()) {
            EXPECT_TRUE(c.identity_key().empty()) << out.back();
        } else if (keys.contains(c.account())) {
            const auto& key = keys.at(c.account());
            EXPECT_EQ(c.identity_key(), std::string(key.begin(), key.end())) << out.back();
        } else {
            ADD_FAILURE() << "claim by an unknown account: " << out.back();
        }
    }
    return out;
}

struct Peer {
    std::string name;
    crypto::SigningKey identity = crypto::SigningKey::generate();
    ClientId client = 0;
};

class GmsCoreRecent : public ::testing::Test {
  protected:
    // A GMS starting with `state`, as after a restart with what its store loaded.
    void start(State state) {
        core_ = std::make_unique<GmsCore>(Config{}, crypto::SigningKey::generate(), std::move(state));
    }

    // Connects and logs in (the password check, Argon2id, is the server's: here it passes). The
    // answer lists the member's groups.
    v1::LoginResponse log_in(Peer& p) {
        p.client = next_client_++;
        core_->connected(p.client, "192.0.2.1");
        v1::GmsRequest r;
        r.set_request_id(next_request_++);
        r.mutable_login()->set_account(p.name);
        r.mutable_login()->set_password("unused");
        std::vector<Outgoing> out;
        auto job = core_->handle(p.client, r, now_, out);
        if (!job) {
            ADD_FAILURE() << "login of " << p.name << " made no password job";
            return {};
        }
        core_->finish_login(*job, true, now_, out);
        collect(out);
        const v1::GmsResponse answer = take_answer(p.client, r.request_id());
        EXPECT_TRUE(answer.has_login()) << answer.error().message();
        return answer.login();
    }

    // A new account, logged in.
    Peer account(const std::string& name) {
        Peer p{name};
        p.client = next_client_++;
        core_->connected(p.client, "192.0.2.1");
        v1::GmsRequest r;
        r.set_request_id(next_request_++);
        r.mutable_register_()->set_account(name);
        r.mutable_register_()->set_password("password-" + name);
        r.mutable_register_()->set_identity_key(
            std::string(p.identity.public_key().begin(), p.identity.public_key().end()));
        std::vector<Outgoing> out;
        auto job = core_->handle(p.client, r, now_, out);
        EXPECT_TRUE(job.has_value());
        if (job) core_->finish_register(*job, std::string("$argon2id$stand-in"), out);
        collect(out);
        EXPECT_TRUE(take_answer(p.client, r.request_id()).has_login());
        log_in(p);
        return p;
    }

    // Handles one request as its own batch and returns the answer to it.
    v1::GmsResponse ask(const Peer& p, v1::GmsRequest r) {
        r.set_request_id(next_request_++);
        std::vector<Outgoing> out;
        EXPECT_FALSE(core_->handle(p.client, r, now_, out).has_value());
        core_->end_batch(now_, out);
        collect(out);
        return take_answer(p.client, r.request_id());
    }

    // Several requests from `by` closed as one batch; the answers in order.
    std::vector<v1::GmsResponse> ask_in_one_batch(const Peer& by, std::vector<v1::GmsRequest> requests) {
        std::vector<Outgoing> out;
        for (auto& r : requests) {
            r.set_request_id(next_request_++);
            EXPECT_FALSE(core_->handle(by.client, r, now_, out).has_value());
        }
        core_->end_batch(now_, out);
        collect(out);
        std::vector<v1::GmsResponse> answers;
        for (const auto& r : requests) answers.push_back(take_answer(by.client, r.request_id()));
        return answers;
    }

    v1::GmsRequest notification(v1::MemberNotification::Change change, const std::string& account, Rights rights = {}) {
        v1::GmsRequest r;
        r.mutable_member_notification()->set_group_id(gid_);
        r.mutable_member_notification()->set_change(change);
        r.mutable_member_notification()->set_account(account);
        r.mutable_member_notification()->mutable_rights()->set_may_invite(rights.may_invite);
        r.mutable_member_notification()->mutable_rights()->set_may_remove(rights.may_remove);
        return r;
    }

    void create_group(const Peer& founder) {
        v1::GmsRequest r;
        r.mutable_create_group()->set_group_id(gid_);
        r.mutable_create_group()->mutable_policy()->set_rn2_interval_seconds(kIntervalSeconds);
        ASSERT_TRUE(ask(founder, r).has_group());
        record(founder);
    }

    // A join or removal by `by`, committed as one batch; records the new epoch's RN2.
    void change(const Peer& by, v1::MemberNotification::Change change, const std::string& account) {
        v1::GmsRequest r;
        r.mutable_member_notification()->set_group_id(gid_);
        r.mutable_member_notification()->set_change(change);
        r.mutable_member_notification()->set_account(account);
        const auto answer = ask(by, r);
        ASSERT_TRUE(answer.has_epoch()) << answer.error().message();
        record(by);
    }
    void add(const Peer& by, const std::string& account) { change(by, v1::MemberNotification::CHANGE_ADD, account); }
    void remove(const Peer& by, const std::string& account) {
        change(by, v1::MemberNotification::CHANGE_REMOVE, account);
    }

    // The timed renewal, one interval later.
    void renew(const Peer& witness) {
        now_ += std::uint64_t{kIntervalSeconds} * 1000;
        std::vector<Outgoing> out;
        core_->end_batch(now_, out);
        collect(out);
        record(witness);
    }

    // The RN2 inquiry's answer (a welcome) for `p`.
    v1::Welcome inquire(const Peer& p) {
        v1::GmsRequest r;
        r.mutable_rn2_inquiry()->set_group_id(gid_);
        const auto answer = ask(p, r);
        EXPECT_TRUE(answer.has_welcome()) << answer.error().message();
        return answer.welcome();
    }

    // A claim of RN1 generation `generation` by `p`: the answer (rn1_generation or CONFLICT).
    v1::GmsResponse claim(const Peer& p, std::uint64_t generation) {
        v1::GmsRequest r;
        r.mutable_rn1_generation()->set_group_id(gid_);
        r.mutable_rn1_generation()->set_generation(generation);
        return ask(p, r);
    }

    // The welcome pushed to `p` when it joined.
    v1::Welcome pushed_welcome(const Peer& p) {
        for (const auto& r : inbox_[p.client]) {
            if (r.request_id() == 0 && r.has_welcome()) return r.welcome();
        }
        ADD_FAILURE() << "no welcome pushed to " << p.name;
        return {};
    }

    std::uint64_t epoch() const { return core_->group(group_id())->keys.epoch(); }

    // Each recent RN2 is the one the group had at that epoch.
    void expect_true_rn2s(const std::map<std::uint64_t, crypto::Rn2>& recent) {
        for (const auto& [e, rn2] : recent) {
            ASSERT_TRUE(rn2_at_.contains(e)) << "epoch " << e;
            EXPECT_TRUE(rn2 == rn2_at_.at(e)) << "epoch " << e;
        }
    }

    // Records the group's current RN2 from a member's own state (ground truth for the checks).
    void record(const Peer& member) {
        auto path = open_welcome(inquire(member), member.identity);
        ASSERT_TRUE(path.ok()) << path.error().message;
        rn2_at_.insert_or_assign(path->epoch(), crypto::Rn2::copy_of(path->rn2()));
    }

    GroupId group_id() const {
        GroupId id{};
        std::copy(gid_.begin(), gid_.end(), id.begin());
        return id;
    }

    std::unique_ptr<GmsCore> core_ = std::make_unique<GmsCore>(Config{}, crypto::SigningKey::generate(), State{});
    std::uint64_t now_ = kStartMs;
    std::string gid_ = [] {
        const auto id = crypto::random_array<kGroupIdBytes>();
        return std::string(id.begin(), id.end());
    }();

  private:
    void collect(const std::vector<Outgoing>& out) {
        for (const auto& o : out) {
            v1::GmsResponse r;
            ASSERT_TRUE(r.ParseFromArray(o.payload->data(), static_cast<int>(o.payload->size())));
            inbox_[o.to].push_back(std::move(r));
        }
    }

    v1::GmsResponse take_answer(ClientId to, std::uint64_t request_id) {
        auto& box = inbox_[to];
        for (auto it = box.begin(); it != box.end(); ++it) {
            if (it->request_id() == request_id) {
                v1::GmsResponse r = std::move(*it);
                box.erase(it);
                return r;
            }
        }
        ADD_FAILURE() << "no answer to request " << request_id;
        return {};
    }

    ClientId next_client_ = 1;
    std::uint64_t next_request_ = 1;
    std::map<ClientId, std::vector<v1::GmsResponse>> inbox_;
    std::map<std::uint64_t, crypto::Rn2> rn2_at_;
};

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

// alice and bob in a group at RN2 epoch 2 (bob joined at 2), as the store loads it after a
// restart: the LKH tree and RN2 from their sealed bytes, no recent RN2s, no join epochs.
State loaded(const std::string& gid, const crypto::SigningKey& alice, const crypto::SigningKey& bob) {
    State s;
    s.accounts.push_back(Account{1, "alice", "$argon2id$stand-in", alice.public_key()});
    s.accounts.push_back(Account{2, "bob", "$argon2id$stand-in", bob.public_key()});
    GroupKeys before = GroupKeys::create(as_bytes(gid), 1);
    const GroupKeys::MemberId bob_id = 2;
    (void)before.change(std::span(&bob_id, 1), {});
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

// The members a restarted GMS loads count as joined before anything it remembers from then on;
// a joiner after the restart still gets nothing from before its join.
TEST_F(GmsCoreRecent, MembersLoadedAtStartCountAsJoinedBefore) {
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
    const auto answers = ask_in_one_batch(alice, {notification(v1::MemberNotification::CHANGE_REMOVE, "bob"),
                                                  notification(v1::MemberNotification::CHANGE_ADD, "bob", {true, false})});
    for (const auto& a : answers) ASSERT_TRUE(a.has_epoch()) << a.error().message();
    const Group* g = core_->group(group_id());
    ASSERT_NE(g, nullptr);
    ASSERT_EQ(g->members.size(), 2u);
    EXPECT_EQ(std::count_if(g->members.begin(), g->members.end(),
                            [](const auto& m) { return m.second.rights == Rights{true, false}; }),
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
        auto db = store::Database::open(dir / "gms.db", {{1, ""}, {2, ""}});
        ASSERT_TRUE(db.ok()) << db.error().message;
        ASSERT_TRUE(db->exec("DROP TABLE rn1_claims; PRAGMA user_version=1").ok());
    }
    opened = SqliteStore::open(dir);  // migrates to schema 2
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
