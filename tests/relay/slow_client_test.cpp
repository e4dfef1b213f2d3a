// The real twofold-relay with short deadlines given as options: a connection that never answers
// its AuthChallenge is closed within the bound while an authenticated member is kept, and one
// address gets no more than its share of connections.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "crypto/hex.h"
#include "harness.h"
#include "net/tls_client.h"
#include "relay_binary_test.h"
#include "relay_client/client.h"

namespace twofold::relay {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::key_of;

class RelaySlowClientTest : public testing::RelayBinaryTest {
  protected:
    void start(std::vector<std::string> extra) {
        extra.insert(extra.end(), {"--log-level", "info"});
        RelayBinaryTest::start(std::move(extra));
    }
    // Served: a mailbox send to itself is accepted.
    static bool served(RelayClient& member, const crypto::SigningKey& key) {
        return member.send(as_bytes(key_of(key)), v1::ENVELOPE_TYPE_RN1_DELIVERY, as_bytes(std::string("x"))).ok();
    }

    crypto::SigningKey alice_ = crypto::SigningKey::generate();
};

TEST_F(RelaySlowClientTest, AConnectionThatNeverAuthenticatesIsClosedWhileAMemberIsKept) {
    start({"--auth-timeout", "0.5"});
    auto alice = RelayClient::connect(relay_.endpoint, relay_.fingerprint, alice_);
    ASSERT_TRUE(alice.ok()) << alice.error().message;
    const auto connected = Clock::now();
    auto silent = net::TlsClient::connect(relay_.endpoint, relay_.fingerprint);
    ASSERT_TRUE(silent.ok()) << silent.error().message;

    auto challenge = (*silent)->receive(10s);  // the AuthChallenge, which it never answers
    ASSERT_TRUE(challenge.ok()) << challenge.error().message;
    auto r = (*silent)->receive(20s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::unavailable) << r.error().message;
    const auto closed_after = Clock::now() - connected;
    EXPECT_GE(closed_after, 500ms);
    EXPECT_LT(closed_after, 10s);

    // Well past its own deadline, the authenticated member is still served.
    std::this_thread::sleep_until(connected + 1500ms);
    EXPECT_TRUE(served(**alice, alice_));
}

TEST_F(RelaySlowClientTest, OneAddressGetsNoMoreThanItsShareOfConnections) {
    start({"--max-connections-per-address", "2"});
    auto alice = RelayClient::connect(relay_.endpoint, relay_.fingerprint, alice_);
    ASSERT_TRUE(alice.ok()) << alice.error().message;
    auto second = RelayClient::connect_unauthenticated(relay_.endpoint, relay_.fingerprint);
    ASSERT_TRUE(second.ok()) << second.error().message;

    auto third = net::TlsClient::connect(relay_.endpoint, relay_.fingerprint);
    EXPECT_FALSE(third.ok());
    EXPECT_TRUE(served(**alice, alice_));

    ASSERT_EQ(relay_.terminate(), 0);  // the log is flushed
    std::ifstream in(dir_ / "relay.log");
    std::stringstream log;
    log << in.rdbuf();
    EXPECT_NE(log.str().find("refused a connection from 127.0.0.1: 2 connections open from 127.0.0.1"),
              std::string::npos)
        << log.str();
}

}  // namespace
}  // namespace twofold::relay
