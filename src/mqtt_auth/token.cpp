#include "mqtt_auth/token.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "crypto/hex.h"
#include "mqtt_auth/signature_check.h"

namespace twofold::mqtt_auth {

namespace {

constexpr std::string_view kTokenLabel = "twofold/v1 mqtt token";
constexpr std::string_view kTokenPrefix = "twofold-mqtt-v1";
constexpr char kSeparator = ':';

void put_u64(Bytes& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::vector<std::string_view> split(std::string_view text) {
    std::vector<std::string_view> parts;
    for (;;) {
        const auto at = text.find(kSeparator);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return parts;
        text.remove_prefix(at + 1);
    }
}

Result<std::uint64_t> parse_seconds(std::string_view digits, std::string_view what) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
        return make_error(Errc::malformed, "token " + std::string(what) + " is not a decimal number of seconds");
    }
    return value;
}

}  // namespace

bool valid_broker_name(std::string_view name) {
    if (name.empty() || name.size() > kBrokerNameMaxBytes) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    });
}

Bytes token_signed_bytes(const crypto::SignPublicKey& identity, const Token& token) {
    Bytes out(kTokenLabel.begin(), kTokenLabel.end());
    out.push_back(0x00);
    append(out, identity);
    out.push_back(static_cast<std::uint8_t>(token.broker_name.size()));  // valid names: at most 253
    append(out, as_bytes(token.broker_name));
    put_u64(out, token.issued_at);
    put_u64(out, token.expires_at);
    return out;
}

std::string make_token(const crypto::SigningKey& identity, std::string_view broker_name, std::uint64_t issued_at,
                       std::uint64_t lifetime_seconds) {
    Token token{std::string(broker_name), issued_at, issued_at + lifetime_seconds, {}};
    token.signature = identity.sign(token_signed_bytes(identity.public_key(), token));
    return std::string(kTokenPrefix) + kSeparator + token.broker_name + kSeparator + std::to_string(token.issued_at) +
           kSeparator + std::to_string(token.expires_at) + kSeparator + crypto::to_hex(token.signature);
}

Result<Token> parse_token(std::string_view password) {
    const auto parts = split(password);
    if (parts.size() != 5 || parts[0] != kTokenPrefix) {
        return make_error(Errc::malformed, "password is not a twofold-mqtt-v1 token (5 ':'-separated fields)");
    }
    Token token;
    if (!valid_broker_name(parts[1])) return make_error(Errc::malformed, "token broker name is not a host name");
    token.broker_name = std::string(parts[1]);
    auto issued = parse_seconds(parts[2], "issued-at");
    if (!issued) return issued.error();
    auto expires = parse_seconds(parts[3], "expiry");
    if (!expires) return expires.error();
    token.issued_at = *issued;
    token.expires_at = *expires;
    if (!crypto::from_hex(parts[4], token.signature, "token signature")) {
        return make_error(Errc::malformed, "token signature is not 128 hex digits");
    }
    return token;
}

Result<crypto::SignPublicKey> verify_login(std::string_view username, std::string_view password,
                                           std::string_view broker_name, std::uint64_t now_unix) {
    crypto::SignPublicKey identity{};
    if (username.size() != 2 * identity.size() || !crypto::from_hex(username, identity, "username")) {
        return make_error(Errc::malformed, "username is not an identity key (64 hex digits)");
    }
    auto token = parse_token(password);
    if (!token) return token.error();
    if (token->broker_name != broker_name) {
        return make_error(Errc::forbidden, "token is for broker '" + token->broker_name + "', this is '" +
                                               std::string(broker_name) + "'");
    }
    if (token->expires_at <= token->issued_at || token->expires_at - token->issued_at > kTokenMaxLifetimeSeconds) {
        return make_error(Errc::malformed, "token lifetime is not between 1 and 600 seconds");
    }
    if (token->issued_at > now_unix + kTokenClockSkewSeconds) {
        return make_error(Errc::stale_epoch, "token issued at " + std::to_string(token->issued_at) +
                                                 ", in the future (now " + std::to_string(now_unix) + ")");
    }
    if (token->expires_at <= now_unix) {
        return make_error(Errc::stale_epoch, "token expired at " + std::to_string(token->expires_at) + " (now " +
                                                 std::to_string(now_unix) + ")");
    }
    if (auto s = check_signature(identity, token_signed_bytes(identity, *token), token->signature, "token"); !s) {
        return s.error();
    }
    return identity;
}

}  // namespace twofold::mqtt_auth
