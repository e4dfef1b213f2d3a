// Argon2id (RFC 9106) through libsodium's crypto_pwhash: password storage at the GMS, and the
// key that encrypts a member's local store, derived from its passphrase.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace twofold::crypto {

inline constexpr std::size_t kPassphraseSaltBytes = 16;
inline constexpr std::size_t kStoreKeyBytes = 32;

using StoreKey = Secret<kStoreKeyBytes, struct StoreKeyTag>;

struct PwhashLimits {
    unsigned long long opslimit;
    std::size_t memlimit;

    static PwhashLimits interactive() noexcept;  // libsodium's INTERACTIVE: 2 passes, 64 MiB
    static PwhashLimits moderate() noexcept;     // MODERATE: 3 passes, 256 MiB
    static PwhashLimits minimum() noexcept;      // the smallest allowed: for tests only
};

// An encoded "$argon2id$v=19$m=...,t=...,p=1$salt$hash" string with a fresh random salt.
Result<std::string> hash_password(std::string_view password, PwhashLimits limits);

// Constant-time check; false for a wrong password or a hash string that does not parse.
bool verify_password(std::string_view encoded_hash, std::string_view password) noexcept;

// Argon2id(passphrase, salt) -> 32-byte key.
Result<StoreKey> derive_key_from_passphrase(ByteView passphrase, ByteView salt, PwhashLimits limits);

}  // namespace twofold::crypto
