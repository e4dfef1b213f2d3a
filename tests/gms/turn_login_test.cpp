// A GMS configured with coturn's shared secret answers each login with TURN credentials in the
// TURN REST API scheme, valid for the configured time from the login's time; without the secret
// it hands out none. (That coturn accepts such credentials: tests/ice/turn_credentials_test.cpp.)
#include <gtest/gtest.h>

#include "core_fixture.h"
#include "crypto/turn_rest_credentials.h"

namespace twofold::gms::testing {
namespace {

constexpr std::string_view kSecret = "coturn shared secret";

Config with_turn() {
    Config config;
    config.turn.secret = std::make_shared<crypto::SecretBuffer>(crypto::SecretBuffer::copy_of(as_bytes(kSecret)));
    config.turn.turn_servers = {"203.0.113.5:3478"};
    config.turn.stun_server = "203.0.113.5:3478";
    config.turn.ttl_seconds = 600;
    return config;
}

TEST_F(GmsCoreRecent, LoginCarriesTurnCredentialsBoundToTheAccountAndTime) {
    start(State{}, with_turn());
    Peer alice = account("alice");
    now_ += 5'000;
    const v1::LoginResponse login = log_in(alice);
    ASSERT_TRUE(login.has_turn());
    const auto& turn = login.turn();
    EXPECT_EQ(turn.expiry_unix(), now_ / 1000 + 600);
    ASSERT_EQ(turn.turn_servers_size(), 1);
    EXPECT_EQ(turn.turn_servers(0), "203.0.113.5:3478");
    EXPECT_EQ(turn.stun_server(), "203.0.113.5:3478");
    // "<expiry>:<account id>": the number, not the name, which coturn would log.
    const auto colon = turn.username().find(':');
    ASSERT_NE(colon, std::string::npos);
    EXPECT_EQ(turn.username().substr(0, colon), std::to_string(turn.expiry_unix()));
    EXPECT_EQ(turn.username().find("alice"), std::string::npos);
    const auto expected = crypto::turn_rest_credentials(as_bytes(kSecret), turn.username().substr(colon + 1),
                                                        turn.expiry_unix());
    EXPECT_EQ(turn.username(), expected.username);
    EXPECT_EQ(turn.password(), expected.password);

    Peer bob = account("bob");
    const v1::LoginResponse bobs = log_in(bob);
    EXPECT_NE(bobs.turn().username(), turn.username()) << "each account gets its own username";
}

TEST_F(GmsCoreRecent, LoginCarriesNoTurnCredentialsWithoutTheSecret) {
    Peer alice = account("alice");
    EXPECT_FALSE(log_in(alice).has_turn());
}

}  // namespace
}  // namespace twofold::gms::testing
