// Several twofold-gms processes on one PostgreSQL database (issue 15): real processes, a real
// PostgreSQL (tests/support/postgres.h), short lease TTLs. kill -9 of the leader during a burst
// of membership changes, a paused leader fenced off, a database restart under load, standbys
// sending members to the leader, the identity they share, and a leader cut off from its database
// (threat model F1-F5).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <fstream>
#include <set>
#include <thread>

#include "crypto/gk.h"
#include "crypto/hex.h"
#include "crypto/random.h"
#include "gms_client/client.h"
#include "gms_client/leader_connection.h"
#include "member_keys.h"
#include "proc/gms_cluster.h"
#include "support/postgres.h"
#include "member/tcp_proxy.h"

namespace twofold::gms::testing {
namespace {

using namespace std::chrono_literals;
using twofold::proc::GmsCluster;

constexpr const char* kPassword = "member-password";

class Failover : public ::testing::Test {
  public:
    void SetUp() override {
        database_ = twofold::testing::fresh_database();
        ASSERT_FALSE(database_.empty());
        url_ = twofold::testing::shared_postgres()->url(database_);
    }
    void start(int processes, std::vector<std::string> process_stores = {}) {
        GmsCluster::Options o;
        o.binary = TWOFOLD_GMS_BINARY;
        o.store = url_;
        o.process_stores = std::move(process_stores);
        o.processes = processes;
        o.lease_ttl_seconds = 1.0;
        o.extra_args = {"--password-hashing", "minimum", "--log-level", "warn"};
        auto c = GmsCluster::start(o);
        ASSERT_TRUE(c.ok()) << c.error().message;
        cluster_ = std::move(*c);
        for (std::size_t i = 0; i < cluster_->size(); ++i) {
            endpoints_.push_back({cluster_->at(i).endpoint, cluster_->at(i).fingerprint});
        }
    }
    // A client of whichever process leads, logged in (or not, for registrations).
    std::unique_ptr<GmsClient> leader_client(const std::string& account = {}) {
        auto c = connect_to_leader(endpoints_, [&](GmsClient& client) -> Status {
            if (account.empty()) return probe(client);
            auto login = client.login(account, kPassword);
            return login ? Status{} : Status{login.error()};
        });
        EXPECT_TRUE(c.ok()) << c.error().message;
        return c ? std::move(c->client) : nullptr;
    }
    // An unauthenticated request a leader answers with an error of its own and a standby with
    // NOT_LEADER: tells them apart without changing anything.
    static Status probe(GmsClient& client) {
        auto r = client.lookup("nobody-at-all");
        if (!r && client.not_leader()) return r.error();
        return {};
    }

    // The leader process i names when it answers as a standby (NOT_LEADER), waiting up to 10 s for
    // it to stand by; nullopt if it does not.
    std::optional<std::string> leader_named_by(std::size_t i) {
        for (int attempt = 0; attempt < 100; ++attempt) {
            auto c = GmsClient::connect(cluster_->at(i).endpoint, cluster_->at(i).fingerprint);
            if (c) {
                (void)(*c)->lookup("nobody-at-all");
                if ((*c)->not_leader() && !(*c)->not_leader()->empty()) return *(*c)->not_leader();
            }
            std::this_thread::sleep_for(100ms);
        }
        return std::nullopt;
    }

    std::string database_, url_;
    std::unique_ptr<GmsCluster> cluster_;
    std::vector<GmsEndpoint> endpoints_;
};

// One membership change, retried on whichever process leads until it is answered. A retry
// after a lost answer may find the change already made (CONFLICT for an add, UNKNOWN for a
// remove): it was committed, and that answer is its acknowledgement.
struct Change {
    std::string account;
    bool add;
};

class Burst {
  public:
    Burst(std::vector<GmsEndpoint> endpoints, Bytes group) : endpoints_(std::move(endpoints)), group_(std::move(group)) {}

    // Runs every change in order; `members` ends as what every acknowledged change implies.
    Status run(const std::vector<Change>& changes, std::set<std::string>& members, std::atomic<int>& done) {
        for (const Change& c : changes) {
            for (int attempt = 0;; ++attempt) {
                if (!client_) {
                    auto conn = connect_to_leader(endpoints_, [](GmsClient& client) -> Status {
                        auto login = client.login("owner", kPassword);
                        return login ? Status{} : Status{login.error()};
                    });
                    if (!conn) return conn.error();
                    client_ = std::move(conn->client);
                    client_->set_timeout(5s);
                }
                auto r = c.add ? client_->add_member(group_, c.account, false, false)
                               : client_->remove_member(group_, c.account);
                const bool already = !r && ((c.add && r.error().code == Errc::conflict) ||
                                            (!c.add && r.error().code == Errc::unknown));
                if (r || already) {
                    if (c.add) members.insert(c.account);
                    if (!c.add) members.erase(c.account);
                    ++done;
                    break;
                }
                if (r.error().code != Errc::unavailable && r.error().code != Errc::timeout) return r.error();
                if (attempt > 20) return r.error();
                client_.reset();  // the leader went away: find the next one
            }
        }
        return {};
    }

  private:
    std::vector<GmsEndpoint> endpoints_;
    Bytes group_;
    std::unique_ptr<GmsClient> client_;
};

struct Group {
    Bytes id;
    std::vector<crypto::SigningKey> keys;  // "m0", "m1", ...
    crypto::SigningKey owner_key = crypto::SigningKey::generate();
};

// The owner, a group and `accounts` registered accounts m0..m(n-1), on the leader.
Group make_group(Failover& t, std::unique_ptr<GmsClient>& owner, int accounts) {
    Group g;
    const auto id = crypto::random_array<16>();
    g.id.assign(id.begin(), id.end());
    EXPECT_TRUE(owner->register_account("owner", kPassword, g.owner_key.public_key()).ok());
    EXPECT_TRUE(owner->login("owner", kPassword).ok());
    EXPECT_TRUE(owner->create_group(g.id, {}).ok());
    for (int i = 0; i < accounts; ++i) {
        g.keys.push_back(crypto::SigningKey::generate());
        EXPECT_TRUE(owner->register_account("m" + std::to_string(i), kPassword, g.keys.back().public_key()).ok());
    }
    (void)t;
    return g;
}

// Adds m0..m(n-1), removing every third one added two steps earlier.
std::vector<Change> burst_of(int accounts) {
    std::vector<Change> changes;
    for (int i = 0; i < accounts; ++i) {
        changes.push_back({"m" + std::to_string(i), true});
        if (i % 3 == 2) changes.push_back({"m" + std::to_string(i - 2), false});
    }
    return changes;
}

// burst_of(accounts) on a thread of its own from construction to finish(); the constructor
// returns once 8 changes were answered, so the test strikes in the middle of the burst.
class BurstInFlight {
  public:
    BurstInFlight(std::vector<GmsEndpoint> endpoints, Bytes group, int accounts)
        : thread_([this, endpoints = std::move(endpoints), group = std::move(group), accounts] {
              result_ = Burst(endpoints, group).run(burst_of(accounts), members_, done_);
              finished_ = true;
          }) {
        while (done_ < 8 && !finished_) std::this_thread::sleep_for(5ms);
    }
    ~BurstInFlight() {
        if (thread_.joinable()) thread_.join();
    }
    BurstInFlight(const BurstInFlight&) = delete;
    BurstInFlight& operator=(const BurstInFlight&) = delete;

    int done() const { return done_; }
    Status finish() {
        thread_.join();
        return result_;
    }
    // What every acknowledged change implies (read after finish()).
    const std::set<std::string>& members() const { return members_; }

  private:
    std::set<std::string> members_;
    std::atomic<int> done_{0};
    std::atomic<bool> finished_{false};
    Status result_;
    std::thread thread_;  // last: it starts once the members above exist
};

// On the leader now: exactly `expected` are members, and each of them (and the owner) derives
// the same GK from its welcome's RN2 (RN1 and the name being the group's, shared by members).
void expect_members_agree(Failover& t, const Group& g, const std::set<std::string>& expected) {
    auto owner = t.leader_client("owner");
    ASSERT_NE(owner, nullptr);
    auto list = owner->list_members(g.id);
    ASSERT_TRUE(list.ok()) << list.error().message;
    std::set<std::string> stored;
    for (const auto& s : *list) stored.insert(s.account());
    std::set<std::string> want = expected;
    want.insert("owner");
    EXPECT_EQ(stored, want);

    const auto rn1 = crypto::make_rn1();
    const auto name = crypto::GroupName::parse("failover test");
    ASSERT_TRUE(name.ok());
    auto gk_of = [&](GmsClient& c, const crypto::SigningKey& key) -> std::optional<Bytes> {
        auto welcome = c.inquire(g.id, 0);
        if (!welcome) return std::nullopt;
        auto state = open_welcome(*welcome, key);
        if (!state) return std::nullopt;
        auto rn2 = crypto::Rn2::copy_of(state->rn2());
        const auto gk = crypto::derive_group_key(rn1, rn2, *name);
        return Bytes(gk.span().begin(), gk.span().end());
    };
    const auto owner_gk = gk_of(*owner, g.owner_key);
    ASSERT_TRUE(owner_gk.has_value());
    for (const std::string& account : expected) {
        auto c = t.leader_client(account);
        ASSERT_NE(c, nullptr) << account;
        const auto gk = gk_of(*c, g.keys.at(static_cast<std::size_t>(std::stoi(account.substr(1)))));
        ASSERT_TRUE(gk.has_value()) << account;
        EXPECT_EQ(*gk, *owner_gk) << account;
    }
}

// F1: kill -9 of the leader in the middle of a burst; a standby takes over, every acknowledged
// change is there and nothing else, and the members agree on GK.
TEST_F(Failover, KillNineOfTheLeaderDuringABurstLosesNothingAcknowledged) {
    start(3);
    const auto first = cluster_->leader();
    ASSERT_TRUE(first.has_value()) << "no process took the lease";
    auto owner = leader_client();
    ASSERT_NE(owner, nullptr);
    constexpr int kAccounts = 30;
    const Group g = make_group(*this, owner, kAccounts);

    BurstInFlight burst(endpoints_, g.id, kAccounts);
    cluster_->kill9(*first);
    const int at_kill = burst.done();
    const Status result = burst.finish();
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_LT(at_kill, static_cast<int>(burst_of(kAccounts).size())) << "the burst ended before the kill";

    const auto second = cluster_->leader();
    ASSERT_TRUE(second.has_value());
    EXPECT_NE(*second, *first);
    expect_members_agree(*this, g, burst.members());
}

// F2: a leader paused (SIGSTOP) past its lease is fenced off: a standby takes over, and when the
// old leader wakes, the change it was sent while asleep is neither made nor answered, and it
// stands by, sending members to the new leader.
TEST_F(Failover, APausedLeaderThatWakesAfterLosingTheLeaseCommitsNothing) {
    start(2);
    const auto first = cluster_->leader();
    ASSERT_TRUE(first.has_value());
    auto owner = leader_client();
    ASSERT_NE(owner, nullptr);
    const Group g = make_group(*this, owner, 3);
    ASSERT_TRUE(owner->add_member(g.id, "m0", false, false).ok());

    cluster_->pause(*first);
    // Sent to the sleeping leader: it sits in its socket until SIGCONT.
    owner->set_timeout(8s);
    std::optional<Result<std::uint64_t>> asleep_answer;
    std::thread asleep([&] { asleep_answer = owner->add_member(g.id, "m1", false, false); });

    const auto second = cluster_->new_leader(*first);
    ASSERT_TRUE(second.has_value()) << "no standby took over from the paused leader";
    auto owner2 = leader_client("owner");
    ASSERT_NE(owner2, nullptr);
    ASSERT_TRUE(owner2->add_member(g.id, "m2", false, false).ok());

    cluster_->resume(*first);
    asleep.join();
    ASSERT_TRUE(asleep_answer.has_value());
    EXPECT_FALSE(asleep_answer->ok()) << "the fenced leader answered a change";

    // It stands by now: NOT_LEADER, naming the new leader.
    const auto named = leader_named_by(*first);
    ASSERT_TRUE(named.has_value()) << "the woken leader did not stand by";
    EXPECT_EQ(*named, cluster_->at(*second).endpoint.to_string());
    EXPECT_EQ(cluster_->leader(), second);
    expect_members_agree(*this, g, {"m0", "m2"});
}

// F3: the database restarts under load: no acknowledged change is lost, and the clients carry on
// with whichever process leads afterwards.
TEST_F(Failover, ADatabaseRestartUnderLoadLosesNothingAcknowledged) {
    start(2);
    ASSERT_TRUE(cluster_->leader().has_value());
    auto owner = leader_client();
    ASSERT_NE(owner, nullptr);
    constexpr int kAccounts = 30;
    const Group g = make_group(*this, owner, kAccounts);

    BurstInFlight burst(endpoints_, g.id, kAccounts);
    auto* pg = twofold::testing::shared_postgres();
    ASSERT_TRUE(pg->stop(proc::PostgresServer::StopMode::fast));
    std::this_thread::sleep_for(1500ms);  // longer than the lease: the leader must step down
    ASSERT_TRUE(pg->start_again());
    const Status result = burst.finish();
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_TRUE(cluster_->leader().has_value());
    expect_members_agree(*this, g, burst.members());
}

// F6: the leader loses its database — its link stalls, as when a network between them breaks —
// while the standby keeps its own: the standby takes over, the change sent to the cut-off
// leader meanwhile is not answered as done, and once its link is back the old leader stands by.
TEST_F(Failover, ALeaderCutOffFromItsDatabaseIsReplaced) {
    proc::PostgresServer::Options po;
    po.tcp = true;
#ifdef TWOFOLD_PG_TEMPLATE_DIR
    po.template_dir = TWOFOLD_PG_TEMPLATE_DIR;
#endif
    auto pg = proc::PostgresServer::start(po);
    ASSERT_TRUE(pg.ok()) << pg.error().message;
    auto db = pg->create_database("cut_off");
    ASSERT_TRUE(db.ok()) << db.error().message;
    url_ = pg->tcp_url(*db);
    // Each process reaches the database through a proxy of its own, which the test can hold.
    std::vector<std::unique_ptr<twofold::testing::TcpProxy>> links;
    std::vector<std::string> stores;
    const std::string direct_port = ":" + std::to_string(pg->port()) + "/";
    for (int i = 0; i < 2; ++i) {
        links.push_back(std::make_unique<twofold::testing::TcpProxy>(static_cast<std::uint16_t>(pg->port())));
        std::string via = url_;
        via.replace(via.find(direct_port), direct_port.size(), ":" + std::to_string(links.back()->port()) + "/");
        stores.push_back(via);
    }
    start(2, stores);
    const auto first = cluster_->leader();
    ASSERT_TRUE(first.has_value());
    auto owner = leader_client();
    ASSERT_NE(owner, nullptr);
    const Group g = make_group(*this, owner, 3);
    ASSERT_TRUE(owner->add_member(g.id, "m0", false, false).ok());

    links[*first]->hold_requests(true);
    links[*first]->hold_replies(true);
    owner->set_timeout(8s);
    std::optional<Result<std::uint64_t>> cut_off_answer;
    std::thread cut_off([&] { cut_off_answer = owner->add_member(g.id, "m1", false, false); });

    const auto second = cluster_->new_leader(*first);
    ASSERT_TRUE(second.has_value()) << "no standby took over from the leader cut off from its database";
    auto owner2 = leader_client("owner");
    ASSERT_NE(owner2, nullptr);
    ASSERT_TRUE(owner2->add_member(g.id, "m2", false, false).ok());

    links[*first]->hold_requests(false);
    links[*first]->hold_replies(false);
    cut_off.join();
    ASSERT_TRUE(cut_off_answer.has_value());
    EXPECT_FALSE(cut_off_answer->ok()) << "the leader cut off from its database answered a change";

    const auto named = leader_named_by(*first);
    ASSERT_TRUE(named.has_value()) << "the old leader did not stand by once its link was back";
    EXPECT_EQ(*named, cluster_->at(*second).endpoint.to_string());
    expect_members_agree(*this, g, {"m0", "m2"});
    cluster_.reset();  // before the proxies and the server go
}

// F4: a standby answers with NOT_LEADER naming the leader, and a client given the standby first
// follows it; every process shows the one shared identity.
TEST_F(Failover, AStandbySendsMembersToTheLeaderAndAllShareOneIdentity) {
    start(2);
    const auto leader = cluster_->leader();
    ASSERT_TRUE(leader.has_value());
    const std::size_t standby = 1 - *leader;
    EXPECT_EQ(cluster_->at(0).fingerprint, cluster_->at(1).fingerprint);
    EXPECT_EQ(cluster_->at(0).signing_key, cluster_->at(1).signing_key);

    auto direct = GmsClient::connect(cluster_->at(standby).endpoint, cluster_->at(standby).fingerprint);
    ASSERT_TRUE(direct.ok());
    auto refused = (*direct)->login("owner", kPassword);
    ASSERT_FALSE(refused.ok());
    ASSERT_TRUE((*direct)->not_leader().has_value());
    EXPECT_EQ(*(*direct)->not_leader(), cluster_->at(*leader).endpoint.to_string());
    EXPECT_NE(refused.error().message.find("not the leader, try " + cluster_->at(*leader).endpoint.to_string()),
              std::string::npos)
        << refused.error().message;

    // Given the standby first, with one shared fingerprint: it lands on the leader.
    auto parsed = parse_gms_endpoints(cluster_->at(standby).endpoint.to_string() + "," +
                                          cluster_->at(*leader).endpoint.to_string(),
                                      cluster_->at(0).fingerprint);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    auto reached = connect_to_leader(*parsed, probe);
    ASSERT_TRUE(reached.ok()) << reached.error().message;
    EXPECT_EQ(reached->at.endpoint.to_string(), cluster_->at(*leader).endpoint.to_string());
}

// F5: the shared TLS key and signing seed are in the database only sealed: a pg_dump holds
// neither, and a process with another storage.key is refused, saying why.
TEST_F(Failover, TheSharedIdentityIsSealedInTheDatabase) {
    start(2);
    std::ifstream seed_file(cluster_->at(0).data_dir / "signing.key", std::ios::binary);
    const std::string seed((std::istreambuf_iterator<char>(seed_file)), std::istreambuf_iterator<char>());
    ASSERT_EQ(seed.size(), 32u);
    std::ifstream key_file(cluster_->at(0).data_dir / "tls-key.pem");
    const std::string key_pem((std::istreambuf_iterator<char>(key_file)), std::istreambuf_iterator<char>());
    ASSERT_NE(key_pem.find("PRIVATE KEY"), std::string::npos);
    auto dump = twofold::testing::shared_postgres()->dump(database_);
    ASSERT_TRUE(dump.ok()) << dump.error().message;
    EXPECT_NE(dump->find("gms_identity"), std::string::npos);
    EXPECT_EQ(dump->find(crypto::to_hex(as_bytes(seed))), std::string::npos);
    EXPECT_EQ(dump->find(seed), std::string::npos);
    EXPECT_EQ(dump->find("PRIVATE KEY"), std::string::npos);

    // Another storage.key: the sealed identity does not open, and the process says so.
    const auto dir = cluster_->at(0).data_dir.parent_path() / "stranger";
    std::filesystem::create_directories(dir);
    proc::ChildProcess stranger({TWOFOLD_GMS_BINARY, "--data", dir.string(), "--store", url_, "--listen",
                                 "127.0.0.1:0", "--advertise", "127.0.0.1", "--log-level", "warn"});
    EXPECT_EQ(stranger.first_line(std::chrono::seconds(30)), "") << "a GMS with another storage.key started";
    const int status = stranger.kill(0);  // signal 0: only waits for the exit, and reaps it
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "a GMS with another storage.key started";
}

// A lone process (no --advertise) takes no lease, so it refuses to start while one is held.
TEST_F(Failover, ALoneProcessDoesNotStartBesideALeader) {
    start(1);
    ASSERT_TRUE(cluster_->leader().has_value());
    const auto dir = cluster_->at(0).data_dir.parent_path() / "lone";
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(cluster_->at(0).data_dir / "storage.key", dir / "storage.key");
    proc::ChildProcess lone({TWOFOLD_GMS_BINARY, "--data", dir.string(), "--store", url_, "--listen", "127.0.0.1:0",
                             "--log-level", "warn"});
    EXPECT_EQ(lone.first_line(std::chrono::seconds(30)), "") << "a lone GMS started beside a leader";
    const int status = lone.kill(0);  // signal 0: only waits for the exit, and reaps it
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
}

}  // namespace
}  // namespace twofold::gms::testing
