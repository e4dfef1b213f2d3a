#include "crypto/seal.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace twofold::crypto {

static_assert(crypto_box_SEALBYTES == kSealOverheadBytes);

Result<Bytes> seal_to(ByteView recipient_public_key, ByteView plaintext) {
    ensure_sodium_initialised();
    if (recipient_public_key.size() != kX25519Bytes) {
        return make_error(Errc::invalid_argument, "seal: recipient key must be 32 bytes");
    }
    Bytes out(plaintext.size() + kSealOverheadBytes);
    if (crypto_box_seal(out.data(), plaintext.data(), plaintext.size(), recipient_public_key.data()) != 0) {
        return make_error(Errc::invalid_argument, "seal: recipient key is not usable (low-order point)");
    }
    return out;
}

Result<SecretBuffer> open_sealed(const X25519KeyPair& recipient, ByteView sealed) {
    ensure_sodium_initialised();
    if (sealed.size() < kSealOverheadBytes) {
        return make_error(Errc::truncated, "sealed box shorter than its 48-byte overhead");
    }
    SecretBuffer out(sealed.size() - kSealOverheadBytes);
    if (crypto_box_seal_open(out.mutable_span().data(), sealed.data(), sealed.size(), recipient.public_key().data(),
                             recipient.secret().data()) != 0) {
        return make_error(Errc::auth_failed, "sealed box does not open with this key (wrong recipient or altered)");
    }
    return out;
}

}  // namespace twofold::crypto
