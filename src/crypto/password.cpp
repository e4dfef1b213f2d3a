#include "crypto/password.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace twofold::crypto {

static_assert(crypto_pwhash_argon2id_SALTBYTES == kPassphraseSaltBytes);

PwhashLimits PwhashLimits::interactive() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}
PwhashLimits PwhashLimits::moderate() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_MODERATE, crypto_pwhash_argon2id_MEMLIMIT_MODERATE};
}
PwhashLimits PwhashLimits::minimum() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

Result<std::string> hash_password(std::string_view password, PwhashLimits limits) {
    ensure_sodium_initialised();
    char out[crypto_pwhash_argon2id_STRBYTES];
    if (crypto_pwhash_argon2id_str(out, password.data(), password.size(), limits.opslimit, limits.memlimit) != 0) {
        return make_error(Errc::internal, "argon2id: out of memory or limits out of range");
    }
    return std::string(out);
}

bool verify_password(std::string_view encoded_hash, std::string_view password) noexcept {
    ensure_sodium_initialised();
    // libsodium wants a NUL-terminated string of bounded length.
    char buf[crypto_pwhash_argon2id_STRBYTES] = {};
    if (encoded_hash.size() >= sizeof buf) return false;
    std::copy(encoded_hash.begin(), encoded_hash.end(), buf);
    return crypto_pwhash_argon2id_str_verify(buf, password.data(), password.size()) == 0;
}

Result<StoreKey> derive_key_from_passphrase(ByteView passphrase, ByteView salt, PwhashLimits limits) {
    ensure_sodium_initialised();
    if (salt.size() != kPassphraseSaltBytes) {
        return make_error(Errc::invalid_argument, "argon2id: salt must be 16 bytes");
    }
    StoreKey key;
    if (crypto_pwhash(key.mutable_span().data(), key.size(), reinterpret_cast<const char*>(passphrase.data()),
                      passphrase.size(), salt.data(), limits.opslimit, limits.memlimit,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return make_error(Errc::internal, "argon2id: out of memory or limits out of range");
    }
    return key;
}

}  // namespace twofold::crypto
