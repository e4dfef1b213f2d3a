#include "member/signed_bytes.h"

#include "wire/validate.h"

namespace twofold::member {

std::string sign(const crypto::SigningKey& key, const SignedBytes& b) {
    const crypto::Signature sig = key.sign(b.bytes());
    return as_string(sig);
}

Status check_size(std::string_view what, const std::string& field, std::size_t size) {
    if (field.size() != size) {
        return make_error(Errc::malformed, std::string(what) + " must be " + std::to_string(size) + " bytes, not " +
                                               std::to_string(field.size()));
    }
    return {};
}

Status check_account(std::string_view what, const std::string& account) {
    if (account.empty() || account.size() > wire::kAccountMaxBytes) {
        return make_error(Errc::malformed,
                          std::string(what) + " must be 1-" + std::to_string(wire::kAccountMaxBytes) + " bytes");
    }
    return {};
}

Status check_signature(std::string_view what, const std::string& key, const SignedBytes& b,
                       const std::string& signature) {
    if (auto s = crypto::verify_signature(as_bytes(key), b.bytes(), as_bytes(signature)); !s) {
        return make_error(Errc::auth_failed, std::string(what) + " signature does not verify");
    }
    return {};
}

}  // namespace twofold::member
