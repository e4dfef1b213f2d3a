// Lowercase hexadecimal, through libsodium's constant-time codec (safe for secrets).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "core/result.h"

namespace twofold::crypto {

std::string to_hex(ByteView bytes);

// Decodes exactly out.size() bytes from exactly 2*out.size() hex digits (either case).
// `what` names the value in the error ("--rn1"), never its content.
Status from_hex(std::string_view hex, MutableByteView out, std::string_view what);

Result<Bytes> from_hex(std::string_view hex, std::string_view what);

}  // namespace twofold::crypto
