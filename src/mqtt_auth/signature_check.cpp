#include "mqtt_auth/signature_check.h"

#include "crypto/sign.h"

namespace twofold::mqtt_auth {

Status check_signature(ByteView public_key, ByteView signed_bytes, ByteView signature, std::string_view what) {
    if (!crypto::verify_signature(public_key, signed_bytes, signature)) {
        return make_error(Errc::auth_failed, std::string(what) + " signature does not verify");
    }
    return {};
}

}  // namespace twofold::mqtt_auth
