#include "crypto/sign.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace twofold::crypto {

static_assert(crypto_sign_ed25519_SEEDBYTES == kSignSeedBytes);
static_assert(crypto_sign_ed25519_PUBLICKEYBYTES == kSignPublicKeyBytes);
static_assert(crypto_sign_ed25519_BYTES == kSignatureBytes);
static_assert(crypto_sign_ed25519_SECRETKEYBYTES == 64);

SigningKey SigningKey::generate() {
    ensure_sodium_initialised();
    SigningKey k;
    crypto_sign_ed25519_keypair(k.public_key_.data(), k.secret_.mutable_span().data());
    return k;
}

Result<SigningKey> SigningKey::from_seed(ByteView seed) {
    ensure_sodium_initialised();
    if (seed.size() != kSignSeedBytes) {
        return make_error(Errc::invalid_argument, "ed25519 seed must be 32 bytes, got " + std::to_string(seed.size()));
    }
    SigningKey k;
    crypto_sign_ed25519_seed_keypair(k.public_key_.data(), k.secret_.mutable_span().data(), seed.data());
    return k;
}

Signature SigningKey::sign(ByteView message) const noexcept {
    Signature sig;
    crypto_sign_ed25519_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
    return sig;
}

SignSeed SigningKey::seed() const {
    SignSeed s;
    crypto_sign_ed25519_sk_to_seed(s.mutable_span().data(), secret_.data());
    return s;
}

Status verify_signature(ByteView public_key, ByteView message, ByteView signature) {
    ensure_sodium_initialised();
    if (public_key.size() != kSignPublicKeyBytes) {
        return make_error(Errc::invalid_argument, "ed25519 public key must be 32 bytes, got " +
                                                      std::to_string(public_key.size()));
    }
    if (signature.size() != kSignatureBytes) {
        return make_error(Errc::auth_failed, "ed25519 signature must be 64 bytes, got " +
                                                 std::to_string(signature.size()));
    }
    if (crypto_sign_ed25519_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) != 0) {
        return make_error(Errc::auth_failed, "ed25519 signature does not verify");
    }
    return {};
}

}  // namespace twofold::crypto
