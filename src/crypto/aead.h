// AEAD: XChaCha20-Poly1305-IETF (draft-irtf-cfrg-xchacha), the protocol's only cipher, through
// libsodium. Its 24-byte nonce is safe to draw at random for every message.
//
// ChaCha20-Poly1305-IETF (RFC 8439) is exposed too: it is XChaCha's inner construction, and
// checking it against its own vectors localises a failure.
#pragma once

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace twofold::crypto {

inline constexpr std::size_t kAeadKeyBytes = 32;
inline constexpr std::size_t kAeadNonceBytes = 24;
inline constexpr std::size_t kAeadTagBytes = 16;
inline constexpr std::size_t kChaChaIetfNonceBytes = 12;

using AeadKey = Secret<kAeadKeyBytes, struct AeadKeyTag>;
using AeadNonce = FixedBytes<kAeadNonceBytes>;

// Encrypts plaintext into out (ciphertext ‖ 16-byte tag); out.size() must be plaintext.size()+16.
// A key or nonce of the wrong length, or a wrong out size, is an invalid_argument error.
Status aead_encrypt(ByteView key, ByteView nonce, ByteView plaintext, ByteView ad, MutableByteView out);

// Verifies and decrypts into out (out.size() == ciphertext.size()-16). On any failure out is
// zeroed and the error is auth_failed (tag), truncated (shorter than a tag) or invalid_argument.
Status aead_decrypt(ByteView key, ByteView nonce, ByteView ciphertext, ByteView ad, MutableByteView out);

// Conveniences returning new buffers (public data only: a secret plaintext goes through
// aead_decrypt into secure memory).
Result<Bytes> aead_seal(ByteView key, ByteView nonce, ByteView plaintext, ByteView ad);
Result<Bytes> aead_open(ByteView key, ByteView nonce, ByteView ciphertext, ByteView ad);

Status chacha20poly1305_ietf_encrypt(ByteView key, ByteView nonce, ByteView plaintext, ByteView ad,
                                     MutableByteView out);
Status chacha20poly1305_ietf_decrypt(ByteView key, ByteView nonce, ByteView ciphertext, ByteView ad,
                                     MutableByteView out);

}  // namespace twofold::crypto
