// Authentication of a member to the relay: the relay sends 32 random bytes, the member signs
//   "twofold/v1 relay auth" ‖ 0x00 ‖ challenge(32) ‖ relay TLS fingerprint (ASCII, "sha256:HEX")
// with its Ed25519 identity key. The fingerprint binds the answer to this relay, so a malicious
// server cannot replay a member's answer to another relay; the challenge makes it single-use.
#pragma once

#include <string_view>

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/sign.h"

namespace twofold::relay {

inline constexpr std::size_t kChallengeBytes = 32;
using Challenge = FixedBytes<kChallengeBytes>;

Bytes auth_signed_bytes(ByteView challenge, std::string_view relay_fingerprint);

crypto::Signature sign_auth(const crypto::SigningKey& identity, ByteView challenge, std::string_view relay_fingerprint);

// auth_failed if the signature does not verify; invalid_argument for wrong sizes.
Status verify_auth(ByteView identity_key, ByteView challenge, std::string_view relay_fingerprint, ByteView signature);

}  // namespace twofold::relay
