// X25519 (RFC 7748) key agreement and the X25519 form of an Ed25519 identity, through libsodium.
#pragma once

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"
#include "crypto/sign.h"

namespace twofold::crypto {

inline constexpr std::size_t kX25519Bytes = 32;

using X25519PublicKey = FixedBytes<kX25519Bytes>;
using X25519Secret = Secret<kX25519Bytes, struct X25519SecretTag>;
using X25519Shared = Secret<kX25519Bytes, struct X25519SharedTag>;

class X25519KeyPair {
  public:
    static X25519KeyPair generate();
    // The birationally equivalent X25519 key pair of an Ed25519 identity, so one identity key
    // both signs and receives sealed secrets.
    static X25519KeyPair from_signing_key(const SigningKey& identity);

    const X25519PublicKey& public_key() const noexcept { return public_key_; }
    const X25519Secret& secret() const noexcept { return secret_; }

  private:
    X25519KeyPair() = default;
    X25519Secret secret_;
    X25519PublicKey public_key_{};
};

// The X25519 form of an Ed25519 public key; malformed or small-order keys are an error.
Result<X25519PublicKey> x25519_public_from_ed25519(ByteView ed25519_public);

// X25519(scalar, u). An all-zero result (a low-order input point) is refused as auth_failed:
// such a "shared secret" is known to everyone (RFC 7748 section 6.1).
Result<X25519Shared> x25519(ByteView scalar, ByteView u_coordinate);

}  // namespace twofold::crypto
