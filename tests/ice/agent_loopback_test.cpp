// Two ICE agents in one process, loopback only: gather, exchange descriptions, connect over a
// host pair and move bytes both ways over the reliable stream.
#include <gtest/gtest.h>

#include <thread>

#include "ice/agent.h"

namespace twofold::ice {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Agent> make_agent(Role role, std::vector<Progress>* seen = nullptr) {
    Config config;
    config.role = role;
    config.servers.loopback_only = true;
    if (seen != nullptr) {
        auto mutex = std::make_shared<std::mutex>();
        config.progress = [seen, mutex](const Progress& p) {
            std::lock_guard lock(*mutex);
            seen->push_back(p);
        };
    }
    auto agent = Agent::create(std::move(config));
    EXPECT_TRUE(agent.ok()) << agent.error().message;
    return std::move(agent).value();
}

struct Connected {
    std::unique_ptr<Agent> a, b;
    SelectedPair pair_a, pair_b;
};

Connected connect_pair() {
    Connected c{make_agent(Role::controlling), make_agent(Role::controlled), {}, {}};
    auto da = c.a->gather(5s);
    auto db = c.b->gather(5s);
    EXPECT_TRUE(da.ok() && db.ok());
    EXPECT_TRUE(c.a->set_remote(*db).ok());
    EXPECT_TRUE(c.b->set_remote(*da).ok());
    auto pa = c.a->wait_connected(10s);
    auto pb = c.b->wait_connected(10s);
    EXPECT_TRUE(pa.ok()) << pa.error().message;
    EXPECT_TRUE(pb.ok()) << pb.error().message;
    if (pa.ok()) c.pair_a = *pa;
    if (pb.ok()) c.pair_b = *pb;
    return c;
}

std::vector<std::uint8_t> receive_exactly(Agent& agent, std::size_t n) {
    std::vector<std::uint8_t> all;
    while (all.size() < n) {
        auto part = agent.receive(n - all.size(), 10s);
        if (!part.ok()) {
            ADD_FAILURE() << part.error().message;
            break;
        }
        all.insert(all.end(), part->begin(), part->end());
    }
    return all;
}

TEST(IceAgentLoopback, ConnectsOverAHostPairAndExchangesBytes) {
    auto c = connect_pair();
    ASSERT_TRUE(c.a && c.b);
    EXPECT_EQ(c.pair_a.kind(), CandidateKind::host) << describe(c.pair_a);
    EXPECT_EQ(c.pair_a.local.address, "127.0.0.1");
    EXPECT_EQ(c.pair_a.remote.address, "127.0.0.1");
    EXPECT_EQ(c.pair_a.local.port, c.pair_b.remote.port);
    EXPECT_EQ(c.pair_a.remote.port, c.pair_b.local.port);

    const std::vector<std::uint8_t> hello{'h', 'e', 'l', 'l', 'o'};
    ASSERT_TRUE(c.a->send(hello, 5s).ok());
    EXPECT_EQ(receive_exactly(*c.b, hello.size()), hello);

    // More than pseudo-TCP's send buffer, so send() must wait for the stream to drain.
    std::vector<std::uint8_t> big(300 * 1024);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
    std::thread sender([&] { EXPECT_TRUE(c.b->send(big, 20s).ok()); });
    EXPECT_EQ(receive_exactly(*c.a, big.size()), big);
    sender.join();
}

TEST(IceAgentLoopback, ReportsProgressInOrder) {
    std::vector<Progress> seen_a;
    auto a = make_agent(Role::controlling, &seen_a);
    auto b = make_agent(Role::controlled);
    auto da = a->gather(5s);
    auto db = b->gather(5s);
    ASSERT_TRUE(da.ok() && db.ok());
    ASSERT_TRUE(a->set_remote(*db).ok());
    ASSERT_TRUE(b->set_remote(*da).ok());
    ASSERT_TRUE(a->wait_connected(10s).ok());
    a.reset();  // joins the agent's thread: no progress call can still be running
    std::vector<Stage> stages;
    for (const auto& p : seen_a) {
        if (stages.empty() || stages.back() != p.stage) stages.push_back(p.stage);
    }
    ASSERT_GE(stages.size(), 4u);
    EXPECT_EQ(stages[0], Stage::gathering);
    EXPECT_EQ(stages[1], Stage::gathered);
    EXPECT_EQ(stages[2], Stage::checking);
    EXPECT_EQ(stages[3], Stage::connected);
    EXPECT_NE(seen_a[1].detail.find("host 1"), std::string::npos) << seen_a[1].detail;
}

TEST(IceAgentLoopback, FailsNamingWhatWasTriedWhenThePeerIsGone) {
    auto a = make_agent(Role::controlling);
    auto da = a->gather(5s);
    Description gone;
    {
        auto b = make_agent(Role::controlled);
        auto db = b->gather(5s);
        ASSERT_TRUE(da.ok() && db.ok());
        gone = *db;
    }  // b's sockets are closed: nobody answers a's checks
    ASSERT_TRUE(a->set_remote(gone).ok());
    auto pair = a->wait_connected(1500ms);
    ASSERT_FALSE(pair.ok());
    const std::string& why = pair.error().message;
    EXPECT_NE(why.find("no ICE candidate pair worked"), std::string::npos) << why;
    EXPECT_NE(why.find("local candidates: host 1, server-reflexive 0, relayed 0"), std::string::npos) << why;
    EXPECT_NE(why.find("no STUN server configured"), std::string::npos) << why;
    EXPECT_NE(why.find("no TURN server configured"), std::string::npos) << why;
}

TEST(IceAgentLoopback, RefusesMalformedOrOversizedDescriptions) {
    auto a = make_agent(Role::controlling);
    auto da = a->gather(5s);
    ASSERT_TRUE(da.ok());
    Description bad = *da;
    bad.candidates = {"a=candidate:not a candidate"};
    auto status = a->set_remote(bad);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, Errc::malformed);
    EXPECT_NE(status.error().message.find("remote ICE candidate 0"), std::string::npos);

    bad = *da;
    bad.candidates.assign(max_candidates + 1, da->candidates.front());
    status = a->set_remote(bad);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, Errc::too_large);

    bad = *da;
    bad.pwd = std::string(max_credential_length + 1, 'x');
    EXPECT_EQ(a->set_remote(bad).error().code, Errc::too_large);
    bad = *da;
    bad.ufrag = "a b";
    EXPECT_EQ(a->set_remote(bad).error().code, Errc::malformed);
    bad = *da;
    bad.candidates = {std::string(max_candidate_line_length + 1, 'a')};
    EXPECT_EQ(a->set_remote(bad).error().code, Errc::too_large);
}

TEST(IceAgentLoopback, CancelReleasesAWaitingCaller) {
    auto a = make_agent(Role::controlling);
    auto b = make_agent(Role::controlled);
    auto da = a->gather(5s);
    auto db = b->gather(5s);
    ASSERT_TRUE(da.ok() && db.ok());
    ASSERT_TRUE(a->set_remote(*db).ok());  // b never learns a's description: no pair can form
    std::thread canceller([&] {
        std::this_thread::sleep_for(200ms);
        a->cancel();
    });
    const auto start = std::chrono::steady_clock::now();
    auto pair = a->wait_connected(30s);
    canceller.join();
    ASSERT_FALSE(pair.ok());
    EXPECT_EQ(pair.error().code, Errc::unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

}  // namespace
}  // namespace twofold::ice
