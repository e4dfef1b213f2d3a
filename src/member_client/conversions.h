// Conversions between the public API's types and the wire's, shared by the operations.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/sign.h"
#include "twofold/member.h"
#include "twofold/v1/common.pb.h"

namespace twofold::member_client {

inline v1::Rights to_proto(Rights r) {
    v1::Rights out;
    out.set_may_invite(r.may_invite);
    out.set_may_remove(r.may_remove);
    return out;
}

inline Rights from_proto(const v1::Rights& r) { return Rights{r.may_invite(), r.may_remove()}; }

inline Result<crypto::SignPublicKey> sign_key_of(const std::string& bytes, std::string_view what) {
    if (bytes.size() != crypto::kSignPublicKeyBytes) {
        return make_error(Errc::malformed, std::string(what) + " is not a 32-byte Ed25519 key");
    }
    crypto::SignPublicKey key{};
    std::copy(bytes.begin(), bytes.end(), key.begin());
    return key;
}

}  // namespace twofold::member_client
