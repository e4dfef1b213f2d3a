// HKDF-SHA256 (RFC 5869) composed from libsodium's HMAC-SHA256, and the protocol's labelled
// expansion: every key twofold derives names its purpose in HKDF's info, so no two purposes can
// ever share a key.
#pragma once

#include <string_view>

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace twofold::crypto {

inline constexpr std::size_t kHkdfPrkBytes = 32;
inline constexpr std::size_t kHkdfMaxOutputBytes = 255 * std::size_t{32};  // RFC 5869 section 2.3

using HkdfPrk = Secret<kHkdfPrkBytes, struct HkdfPrkTag>;

// HKDF-Extract(salt, IKM). An empty salt means HashLen zero bytes, as the RFC says.
HkdfPrk hkdf_extract(ByteView salt, ByteView ikm);

// HKDF-Expand(PRK, info, L) into out (L = out.size()). Fails for L > 255*HashLen or a PRK
// shorter than HashLen; out is left zeroed on failure.
Status hkdf_expand(ByteView prk, ByteView info, MutableByteView out);

// Extract then expand.
Status hkdf(ByteView salt, ByteView ikm, ByteView info, MutableByteView out);

// The info string for a labelled derivation: label ‖ 0x00 ‖ context. Labels are fixed ASCII
// strings without NUL, so the encoding is unambiguous; callers pass context fields of fixed
// length (or length-prefixed).
Bytes labelled_info(std::string_view label, ByteView context);

}  // namespace twofold::crypto
