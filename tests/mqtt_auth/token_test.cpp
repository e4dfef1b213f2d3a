#include "mqtt_auth/token.h"

#include <gtest/gtest.h>

#include "crypto/hex.h"

namespace twofold::mqtt_auth {
namespace {

constexpr std::uint64_t kNow = 1'800'000'000;
constexpr std::string_view kBroker = "broker.example";

struct TokenTest : ::testing::Test {
    crypto::SigningKey identity = crypto::SigningKey::generate();
    std::string username = crypto::to_hex(identity.public_key());
};

TEST_F(TokenTest, FreshTokenForThisBrokerLogsInAsItsKey) {
    auto key = verify_login(username, make_token(identity, kBroker, kNow, 300), kBroker, kNow);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(*key, identity.public_key());
}

TEST_F(TokenTest, TokenForAnotherBrokerIsRefused) {
    auto key = verify_login(username, make_token(identity, "other.example", kNow, 300), kBroker, kNow);
    ASSERT_FALSE(key);
    EXPECT_NE(key.error().message.find("for broker 'other.example'"), std::string::npos) << key.error().message;
}

TEST_F(TokenTest, ExpiredTokenIsRefused) {
    auto key = verify_login(username, make_token(identity, kBroker, kNow - 301, 300), kBroker, kNow);
    ASSERT_FALSE(key);
    EXPECT_NE(key.error().message.find("expired"), std::string::npos);
}

TEST_F(TokenTest, LifetimeAboveTenMinutesIsRefused) {
    EXPECT_TRUE(verify_login(username, make_token(identity, kBroker, kNow, 600), kBroker, kNow));
    auto key = verify_login(username, make_token(identity, kBroker, kNow, 601), kBroker, kNow);
    ASSERT_FALSE(key);
    EXPECT_NE(key.error().message.find("lifetime"), std::string::npos);
}

TEST_F(TokenTest, TokenIssuedInTheFutureIsRefusedBeyondTheSkew) {
    EXPECT_TRUE(verify_login(username, make_token(identity, kBroker, kNow + 60, 300), kBroker, kNow));
    EXPECT_FALSE(verify_login(username, make_token(identity, kBroker, kNow + 61, 300), kBroker, kNow));
}

TEST_F(TokenTest, TokenSignedByAnotherKeyIsRefused) {
    const auto other = crypto::SigningKey::generate();
    auto key = verify_login(username, make_token(other, kBroker, kNow, 300), kBroker, kNow);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, Errc::auth_failed);
}

TEST_F(TokenTest, ChangedExpiryBreaksTheSignature) {
    std::string token = make_token(identity, kBroker, kNow, 300);
    const std::string expiry = std::to_string(kNow + 300);
    token.replace(token.find(expiry), expiry.size(), std::to_string(kNow + 301));
    auto key = verify_login(username, token, kBroker, kNow);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, Errc::auth_failed);
}

TEST_F(TokenTest, GarbageIsRefusedAsMalformed) {
    const std::string sig(128, 'a');
    for (const std::string& password :
         {std::string(), std::string("hunter2"), std::string("twofold-mqtt-v1::::"),
          "twofold-mqtt-v1:broker.example:1:2:" + sig + ":extra", "twofold-mqtt-v1:broker.example:x:2:" + sig,
          "twofold-mqtt-v1:broker.example:1:99999999999999999999999:" + sig,
          "twofold-mqtt-v1:broker example:1:2:" + sig, "twofold-mqtt-v1:broker.example:1:2:" + sig.substr(2) + "zz",
          "twofold-mqtt-v1:broker.example:-1:2:" + sig}) {
        auto key = verify_login(username, password, kBroker, kNow);
        ASSERT_FALSE(key) << password;
        EXPECT_EQ(key.error().code, Errc::malformed) << password;
    }
    for (const std::string& bad_user : {std::string(), std::string("alice"), username.substr(2), username + "00"}) {
        auto key = verify_login(bad_user, make_token(identity, kBroker, kNow, 300), kBroker, kNow);
        ASSERT_FALSE(key) << bad_user;
        EXPECT_NE(key.error().message.find("username"), std::string::npos);
    }
}

}  // namespace
}  // namespace twofold::mqtt_auth
