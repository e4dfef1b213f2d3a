#include "relay/auth.h"

namespace twofold::relay {

namespace {
constexpr std::string_view kAuthLabel = "twofold/v1 relay auth";
}

Bytes auth_signed_bytes(ByteView challenge, std::string_view relay_fingerprint) {
    Bytes out;
    out.reserve(kAuthLabel.size() + 1 + challenge.size() + relay_fingerprint.size());
    append(out, as_bytes(kAuthLabel));
    out.push_back(0x00);
    append(out, challenge);
    append(out, as_bytes(relay_fingerprint));
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
