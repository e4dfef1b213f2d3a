#include "crypto/x25519.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace twofold::crypto {

static_assert(crypto_scalarmult_curve25519_BYTES == kX25519Bytes);
static_assert(crypto_box_PUBLICKEYBYTES == kX25519Bytes);

X25519KeyPair X25519KeyPair::generate() {
    ensure_sodium_initialised();
    X25519KeyPair k;
    crypto_box_keypair(k.public_key_.data(), k.secret_.mutable_span().data());
    return k;
}

X25519KeyPair X25519KeyPair::from_signing_key(const SigningKey& identity) {
    ensure_sodium_initialised();
    X25519KeyPair k;
    crypto_sign_ed25519_sk_to_curve25519(k.secret_.mutable_span().data(), identity.expanded_secret().data());
    crypto_scalarmult_curve25519_base(k.public_key_.data(), k.secret_.data());
    return k;
}

Result<X25519PublicKey> x25519_public_from_ed25519(ByteView ed25519_public) {
    ensure_sodium_initialised();
    if (ed25519_public.size() != kSignPublicKeyBytes) {
        return make_error(Errc::invalid_argument, "ed25519 public key must be 32 bytes");
    }
    X25519PublicKey out;
    if (crypto_sign_ed25519_pk_to_curve25519(out.data(), ed25519_public.data()) != 0) {
        return make_error(Errc::invalid_argument, "ed25519 public key is not a valid curve point");
    }
    return out;
}

Result<X25519Shared> x25519(ByteView scalar, ByteView u_coordinate) {
    ensure_sodium_initialised();
    if (scalar.size() != kX25519Bytes || u_coordinate.size() != kX25519Bytes) {
        return make_error(Errc::invalid_argument, "x25519: scalar and point must be 32 bytes each");
    }
    X25519Shared shared;
    if (crypto_scalarmult_curve25519(shared.mutable_span().data(), scalar.data(), u_coordinate.data()) != 0) {
        return make_error(Errc::auth_failed, "x25519: peer key is a low-order point (all-zero shared secret)");
    }
    return shared;
}

}  // namespace twofold::crypto
