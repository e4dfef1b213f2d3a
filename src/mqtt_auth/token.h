// The MQTT password: a short-lived token signed by the client's Ed25519 identity key, bound to
// the broker's name and the time. The MQTT username is the identity key in hex.
//
// Text form (the password field of mosquitto 2.0 plugins is a C string, so no raw bytes):
//   "twofold-mqtt-v1:" broker_name ":" issued_at ":" expires_at ":" signature(128 hex digits)
// Signed bytes (integers big-endian):
//   "twofold/v1 mqtt token" ‖ 0x00 ‖ identity_key(32) ‖ broker_name_length(1) ‖ broker_name
//   ‖ issued_at(8) ‖ expires_at(8)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/sign.h"

namespace twofold::mqtt_auth {

inline constexpr std::uint64_t kTokenMaxLifetimeSeconds = 600;
// Clocks differ: a token issued slightly "in the future" is still accepted.
inline constexpr std::uint64_t kTokenClockSkewSeconds = 60;
inline constexpr std::size_t kBrokerNameMaxBytes = 253;  // a DNS name

struct Token {
    std::string broker_name;
    std::uint64_t issued_at = 0;
    std::uint64_t expires_at = 0;
    crypto::Signature signature{};
};

// Letters, digits, '.', '-' (a host name), 1-253 bytes.
bool valid_broker_name(std::string_view name);

Bytes token_signed_bytes(const crypto::SignPublicKey& identity, const Token& token);

// The password text for `identity`, valid from `issued_at` for `lifetime_seconds`.
std::string make_token(const crypto::SigningKey& identity, std::string_view broker_name, std::uint64_t issued_at,
                       std::uint64_t lifetime_seconds);

// malformed: not the text form above (the message names the part).
Result<Token> parse_token(std::string_view password);

// Parses and checks a username/password pair against this broker at `now_unix`; returns the
// identity key. Errors name what was wrong (never the password itself).
Result<crypto::SignPublicKey> verify_login(std::string_view username, std::string_view password,
                                           std::string_view broker_name, std::uint64_t now_unix);

}  // namespace twofold::mqtt_auth
