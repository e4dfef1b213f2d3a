// TURN REST API credentials (crypto/turn_rest_credentials.h), checked against an independent
// computation and against the real coturn: an ICE agent with fresh credentials gets a relayed
// candidate (an allocation), with expired, altered or wrongly keyed ones it gets none.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>

#include "crypto/turn_rest_credentials.h"
#include "ice/agent.h"
#include "ice/servers.h"
#include "support/coturn_server.h"

namespace twofold::ice {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSecret = "north-wind-secret";

TEST(TurnRestCredentials, MatchAnIndependentComputation) {
    // python3: base64.b64encode(hmac.new(b"north-wind-secret", b"1700000000:42", hashlib.sha1).digest())
    const auto c = crypto::turn_rest_credentials(as_bytes(kSecret), "42", 1'700'000'000);
    EXPECT_EQ(c.username, "1700000000:42");
    EXPECT_EQ(c.password, "9lKzPOjiIjbw/cqwT6Dyb0TYac4=");
    EXPECT_EQ(c.expiry_unix, 1'700'000'000u);
}

std::uint64_t now_unix() { return static_cast<std::uint64_t>(std::time(nullptr)); }

// How many relayed candidates an agent with these credentials gathers from the server.
int relayed_candidates(const testing::CoturnServer& coturn, const std::string& username, const std::string& password) {
    auto servers = servers_from({"127.0.0.1:" + std::to_string(coturn.port())}, "", username, password);
    EXPECT_TRUE(servers.ok()) << servers.error().message;
    servers->loopback_only = true;
    auto agent = Agent::create(Config{Role::controlling, *servers, {}});
    EXPECT_TRUE(agent.ok()) << agent.error().message;
    auto description = (*agent)->gather(5s);
    EXPECT_TRUE(description.ok()) << description.error().message;
    return static_cast<int>(std::count_if(description->candidates.begin(), description->candidates.end(),
                                          [](const std::string& line) { return line.find(" typ relay") != std::string::npos; }));
}

class TurnCredentialsWithCoturn : public ::testing::Test {
  protected:
    testing::CoturnServer coturn_{std::string(kSecret)};
    void SetUp() override { ASSERT_TRUE(coturn_.running()) << "coturn did not start"; }
};

TEST_F(TurnCredentialsWithCoturn, FreshCredentialsGetAnAllocation) {
    const auto c = crypto::turn_rest_credentials(as_bytes(kSecret), "42", now_unix() + 600);
    EXPECT_EQ(relayed_candidates(coturn_, c.username, c.password), 1) << coturn_.log();
}

TEST_F(TurnCredentialsWithCoturn, ExpiredCredentialsAreRefused) {
    const auto c = crypto::turn_rest_credentials(as_bytes(kSecret), "42", now_unix() - 60);
    EXPECT_EQ(relayed_candidates(coturn_, c.username, c.password), 0);
}

TEST_F(TurnCredentialsWithCoturn, AlteredCredentialsAreRefused) {
    const auto c = crypto::turn_rest_credentials(as_bytes(kSecret), "42", now_unix() + 600);
    std::string password = c.password;
    password[0] = password[0] == 'A' ? 'B' : 'A';
    EXPECT_EQ(relayed_candidates(coturn_, c.username, password), 0);
    // The username names the account and expiry: changing either breaks the HMAC.
    EXPECT_EQ(relayed_candidates(coturn_, std::to_string(now_unix() + 601) + ":42", c.password), 0);
    EXPECT_EQ(relayed_candidates(coturn_, std::to_string(c.expiry_unix) + ":43", c.password), 0);
}

TEST_F(TurnCredentialsWithCoturn, CredentialsUnderAnotherSecretAreRefused) {
    const auto c = crypto::turn_rest_credentials(as_bytes(std::string_view("another secret")), "42", now_unix() + 600);
    EXPECT_EQ(relayed_candidates(coturn_, c.username, c.password), 0);
}

TEST(IceServers, ParsesWhatTheGmsHandsOut) {
    auto s = servers_from({"203.0.113.5:3478"}, "203.0.113.5:3479", "1:2", "pw");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->stun->host, "203.0.113.5");
    EXPECT_EQ(s->stun->port, 3479);
    EXPECT_EQ(s->turn->address.port, 3478);
    EXPECT_EQ(s->turn->username, "1:2");
    EXPECT_FALSE(servers_from({"203.0.113.5"}, "", "u", "p").ok());
    EXPECT_FALSE(servers_from({"203.0.113.5:0"}, "", "u", "p").ok());
    EXPECT_FALSE(servers_from({"203.0.113.5:70000"}, "", "u", "p").ok());
    EXPECT_FALSE(servers_from({"203.0.113.5:3478"}, "", "", "p").ok());
    EXPECT_FALSE(servers_from({"203.0.113.5:3478"}, "", std::string(300, 'u'), "p").ok());
    auto v6 = parse_server_address("[2001:db8::1]:3478", "TURN server");
    ASSERT_TRUE(v6.ok());
    EXPECT_EQ(v6->host, "2001:db8::1");
}

}  // namespace
}  // namespace twofold::ice
