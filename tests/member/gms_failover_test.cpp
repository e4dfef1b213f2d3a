// Members given several GMS endpoints follow the leader (issue 15): two twofold-gms processes on
// one PostgreSQL database, a twofold-relay, members made with Member::init with both endpoints
// (the standby first) and the one fingerprint they share. alice and bob form a group; the leader
// is killed; alice sends, bob reads, and both hold the same GK, all through the new leader.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "proc/child_process.h"
#include "proc/gms_cluster.h"
#include "support/postgres.h"
#include "twofold/member.h"

namespace twofold::testing {
namespace {

using namespace std::chrono_literals;

class MemberFailover : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("twofold-member-failover-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        const std::string url = fresh_database_url();
        ASSERT_FALSE(url.empty());
        proc::GmsCluster::Options o;
        o.binary = TWOFOLD_GMS_BINARY;
        o.store = url;
        o.processes = 2;
        o.lease_ttl_seconds = 1.0;
        o.extra_args = {"--password-hashing", "minimum", "--log-level", "warn"};
        auto c = proc::GmsCluster::start(o);
        ASSERT_TRUE(c.ok()) << c.error().message;
        cluster_ = std::move(*c);
        relay_ = std::make_unique<proc::ChildProcess>(std::vector<std::string>{
            TWOFOLD_RELAY_BINARY, "--data", (dir_ / "relay").string(), "--listen", "127.0.0.1:0", "--gms-key",
            cluster_->at(0).signing_key, "--log-level", "warn"});
        const std::string line = relay_->first_line();
        relay_endpoint_ = proc::word_after(line, "on");
        relay_fingerprint_ = proc::word_after(line, "tls-fingerprint");
        ASSERT_FALSE(relay_fingerprint_.empty()) << "twofold-relay did not start: " << line;
    }
    void TearDown() override {
        relay_.reset();
        cluster_.reset();
        std::filesystem::remove_all(dir_);
    }

    std::unique_ptr<Member> member(const std::string& account, const std::string& gms_list) {
        InitOptions o;
        o.account = account;
        o.password = "password of " + account;
        o.gms = gms_list;
        o.gms_fingerprint = cluster_->at(0).fingerprint;  // shared by both processes
        o.gms_signing_key = cluster_->at(0).signing_key;
        o.relay = relay_endpoint_;
        o.relay_fingerprint = relay_fingerprint_;
        o.store_limits = crypto::PwhashLimits::minimum();
        auto m = Member::init(dir_ / account, "passphrase of " + account, o);
        if (!m) {
            ADD_FAILURE() << "init " << account << ": " << m.error().message;
            return nullptr;
        }
        return std::move(*m);
    }

    std::filesystem::path dir_;
    std::unique_ptr<proc::GmsCluster> cluster_;
    std::unique_ptr<proc::ChildProcess> relay_;
    std::string relay_endpoint_, relay_fingerprint_;
};

std::vector<Event> sync(Member& m) {
    auto events = m.sync();
    EXPECT_TRUE(events.ok()) << m.account() << " sync: " << events.error().message;
    return events.ok() ? *events : std::vector<Event>{};
}

TEST_F(MemberFailover, MembersWithSeveralEndpointsFollowTheLeaderAcrossAKill) {
    const auto leader = cluster_->leader();
    ASSERT_TRUE(leader.has_value());
    const std::size_t standby = 1 - *leader;
    // The standby first: init (its registration) must be sent on to the leader.
    const std::string list =
        cluster_->at(standby).endpoint.to_string() + "," + cluster_->at(*leader).endpoint.to_string();
    auto alice = member("alice", list);
    auto bob = member("bob", list);
    ASSERT_TRUE(alice && bob);
    ASSERT_TRUE(alice->create_group("team", {}).ok());
    ASSERT_TRUE(alice->invite("team", "bob", Rights{}).ok());
    ASSERT_TRUE(bob->accept("alice").ok());
    sync(*alice);
    sync(*bob);

    cluster_->kill9(*leader);
    ASSERT_EQ(cluster_->new_leader(*leader), std::optional<std::size_t>(standby));

    auto sent = alice->send("team", "after the failover");
    ASSERT_TRUE(sent.ok()) << sent.error().message;
    bool read = false;
    for (int i = 0; i < 50 && !read; ++i) {
        for (const Event& e : sync(*bob)) read = read || (e.kind == Event::Kind::message && e.text == "after the failover");
        if (!read) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(read) << "bob did not read alice's message after the failover";
    auto a = alice->current_keys("team");
    auto b = bob->current_keys("team");
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->gk_hex, b->gk_hex);
    EXPECT_EQ(a->rn2_epoch, b->rn2_epoch);
}

}  // namespace
}  // namespace twofold::testing
