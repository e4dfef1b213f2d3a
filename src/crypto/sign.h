// Ed25519 identity signatures (RFC 8032) through libsodium's crypto_sign_ed25519, which rejects
// non-canonical encodings and small-order keys.
#pragma once

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace twofold::crypto {

inline constexpr std::size_t kSignSeedBytes = 32;
inline constexpr std::size_t kSignPublicKeyBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;

using SignPublicKey = FixedBytes<kSignPublicKeyBytes>;
using Signature = FixedBytes<kSignatureBytes>;
using SignSeed = Secret<kSignSeedBytes, struct SignSeedTag>;

class SigningKey {
  public:
    static SigningKey generate();
    // The 32-byte seed of RFC 8032 (what a key store keeps).
    static Result<SigningKey> from_seed(ByteView seed);

    const SignPublicKey& public_key() const noexcept { return public_key_; }
    Signature sign(ByteView message) const noexcept;
    SignSeed seed() const;

    // libsodium's 64-byte secret key (seed ‖ public key), for the X25519 conversion.
    std::span<const std::uint8_t, 64> expanded_secret() const noexcept { return secret_.span(); }

  private:
    SigningKey() = default;
    Secret<64, struct SignSecretTag> secret_;
    SignPublicKey public_key_{};
};

// auth_failed for a signature that does not verify; invalid_argument for wrong lengths.
Status verify_signature(ByteView public_key, ByteView message, ByteView signature);

}  // namespace twofold::crypto
