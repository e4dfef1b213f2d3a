// The digest a group message's signature covers: SHA-256 (FIPS 180-4) of the ciphertext, through
// OpenSSL's libcrypto, which uses the CPU's SHA extensions where it has them (docs/decisions.md 28).
// Only for this digest: GK and HKDF stay on libsodium (sha256.h), where the inputs are secret.
#pragma once

#include "crypto/bytes.h"

namespace twofold::crypto {

inline constexpr std::size_t kCiphertextDigestBytes = 32;
using CiphertextDigest = FixedBytes<kCiphertextDigestBytes>;

// Public input only: OpenSSL's hashing state is not wiped like Sha256's.
CiphertextDigest ciphertext_digest(ByteView ciphertext) noexcept;

}  // namespace twofold::crypto
