// Noise CipherState (revision 34, section 5.1) for ChaChaPoly: ChaCha20-Poly1305 IETF through
// libsodium, nonce = 4 zero bytes || 64-bit little-endian counter (section 12.3).
#pragma once

#include <cstdint>
#include <optional>

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace twofold::handshake {

inline constexpr std::size_t kNoiseKeyBytes = 32;
inline constexpr std::size_t kNoiseTagBytes = 16;
inline constexpr std::size_t kNoiseMaxMessageBytes = 65535;  // section 3: every Noise message
inline constexpr std::uint64_t kNoiseMaxNonce = UINT64_MAX;  // reserved (section 5.1)

using NoiseCipherKey = crypto::Secret<kNoiseKeyBytes, struct NoiseCipherKeyTag>;

class NoiseCipherState {
  public:
    NoiseCipherState() = default;  // no key: encryption is the identity, as the spec says

    void initialize_key(std::span<const std::uint8_t, kNoiseKeyBytes> key);
    bool has_key() const noexcept { return key_.has_value(); }
    std::uint64_t nonce() const noexcept { return nonce_; }

    // ENCRYPT(k, n++, ad, plaintext); an exhausted nonce is an error, never a wrap.
    Result<Bytes> encrypt_with_ad(ByteView ad, ByteView plaintext);
    // DECRYPT(k, n++, ad, ciphertext); n advances only when the tag verifies.
    Result<crypto::SecretBuffer> decrypt_with_ad(ByteView ad, ByteView ciphertext);

  private:
    std::optional<NoiseCipherKey> key_;
    std::uint64_t nonce_ = 0;
};

}  // namespace twofold::handshake
