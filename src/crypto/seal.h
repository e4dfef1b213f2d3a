// Sealing a secret to a recipient's X25519 public key: libsodium's crypto_box_seal (an ephemeral
// X25519 key, XSalsa20-Poly1305, nonce = BLAKE2b(ephemeral pk ‖ recipient pk)). Anonymous by
// design: callers that need the sender authenticated sign the sealed bytes (see member/).
#pragma once

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"
#include "crypto/x25519.h"

namespace twofold::crypto {

inline constexpr std::size_t kSealOverheadBytes = 48;  // ephemeral public key + tag

Result<Bytes> seal_to(ByteView recipient_public_key, ByteView plaintext);

// auth_failed when the box was not sealed to this key pair or was altered; truncated when it is
// shorter than the overhead. The plaintext lands in secure memory.
Result<SecretBuffer> open_sealed(const X25519KeyPair& recipient, ByteView sealed);

}  // namespace twofold::crypto
