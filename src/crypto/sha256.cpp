#include "crypto/sha256.h"

#include <sodium.h>

#include "crypto/secret.h"
#include "crypto/sodium_init.h"

namespace twofold::crypto {

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "Sha256::state_ too small");
static_assert(crypto_hash_sha256_BYTES == kSha256Bytes);

namespace {
crypto_hash_sha256_state* as_state(unsigned char* p) { return reinterpret_cast<crypto_hash_sha256_state*>(p); }
}  // namespace

Sha256Digest sha256(ByteView message) noexcept {
    ensure_sodium_initialised();
    Sha256Digest out;
    crypto_hash_sha256(out.data(), message.data(), message.size());
    return out;
}

Sha256::Sha256() noexcept {
    ensure_sodium_initialised();
    crypto_hash_sha256_init(as_state(state_));
}

Sha256::~Sha256() { wipe(state_); }

void Sha256::update(ByteView bytes) noexcept { crypto_hash_sha256_update(as_state(state_), bytes.data(), bytes.size()); }

void Sha256::finish(std::span<std::uint8_t, kSha256Bytes> out) noexcept {
    crypto_hash_sha256_final(as_state(state_), out.data());
}

}  // namespace twofold::crypto
