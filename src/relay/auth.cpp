#include "relay/auth.h"

#include <algorithm>

namespace twofold::relay {

namespace {
constexpr std::string_view kAuthLabel = "twofold/v1 relay auth";
}

Bytes auth_signed_bytes(ByteView challenge, std::string_view relay_fingerprint) {
    // Sized once and filled in place (vector::insert trips GCC 12's -Wstringop-overflow at -O3).
    Bytes out(kAuthLabel.size() + 1 + challenge.size() + relay_fingerprint.size(), 0x00);
    auto at = std::copy(kAuthLabel.begin(), kAuthLabel.end(), out.begin()) + 1;  // then the 0x00
    at = std::copy(challenge.begin(), challenge.end(), at);
    std::copy(relay_fingerprint.begin(), relay_fingerprint.end(), at);
    return out;
}

crypto::Signature sign_auth(const crypto::SigningKey& identity, ByteView challenge, std::string_view relay_fingerprint) {
    return identity.sign(auth_signed_bytes(challenge, relay_fingerprint));
}

Status verify_auth(ByteView identity_key, ByteView challenge, std::string_view relay_fingerprint, ByteView signature) {
    if (challenge.size() != kChallengeBytes) {
        return make_error(Errc::invalid_argument, "auth challenge must be 32 bytes");
    }
    auto s = crypto::verify_signature(identity_key, auth_signed_bytes(challenge, relay_fingerprint), signature);
    if (!s && s.error().code == Errc::auth_failed) {
        return make_error(Errc::auth_failed, "auth signature does not verify for this identity key and challenge");
    }
    return s;
}

}  // namespace twofold::relay
