// The one signature check the plugin makes, for tokens (the client's key) and statements (the
// GMS's key): libsodium's strict Ed25519 verification through crypto/sign.h.
#pragma once

#include <string_view>

#include "core/result.h"
#include "crypto/bytes.h"

namespace twofold::mqtt_auth {

// auth_failed "<what> signature does not verify" if it does not.
Status check_signature(ByteView public_key, ByteView signed_bytes, ByteView signature, std::string_view what);

}  // namespace twofold::mqtt_auth
