#include "crypto/hmac.h"

#include <sodium.h>

#include "crypto/secret.h"
#include "crypto/sodium_init.h"

namespace twofold::crypto {

static_assert(crypto_auth_hmacsha256_BYTES == kHmacSha256Bytes);

void hmac_sha256(ByteView key, ByteView message, std::span<std::uint8_t, kHmacSha256Bytes> out) noexcept {
    ensure_sodium_initialised();
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key.data(), key.size());
    crypto_auth_hmacsha256_update(&state, message.data(), message.size());
    crypto_auth_hmacsha256_final(&state, out.data());
    sodium_memzero(&state, sizeof state);
}

bool hmac_sha256_verify(ByteView key, ByteView message, ByteView tag) noexcept {
    constexpr std::size_t kMinTagBytes = 16;
    if (tag.size() < kMinTagBytes || tag.size() > kHmacSha256Bytes) return false;
    FixedBytes<kHmacSha256Bytes> expected;
    hmac_sha256(key, message, expected);
    const bool ok = equal_constant_time(ByteView(expected).first(tag.size()), tag);
    wipe(expected);
    return ok;
}

}  // namespace twofold::crypto
