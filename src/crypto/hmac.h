// HMAC-SHA256 (RFC 2104) through libsodium's crypto_auth_hmacsha256 (keys of any length).
#pragma once

#include "crypto/bytes.h"

namespace twofold::crypto {

inline constexpr std::size_t kHmacSha256Bytes = 32;

// Writes the full 32-byte tag. The output is secret when the key is (as in HKDF).
void hmac_sha256(ByteView key, ByteView message, std::span<std::uint8_t, kHmacSha256Bytes> out) noexcept;

// Constant-time check of a tag truncated to tag.size() bytes (RFC 2104 section 5); tags shorter
// than 16 bytes are refused as too weak to verify anything.
bool hmac_sha256_verify(ByteView key, ByteView message, ByteView tag) noexcept;

}  // namespace twofold::crypto
