#include "member/admission_refusal.h"

#include <algorithm>
#include <string_view>

#include "member/signed_bytes.h"
#include "wire/validate.h"

namespace twofold::member {

namespace {

constexpr std::string_view kAdmissionRefusalLabel = "twofold/v1 admission refusal";

SignedBytes refusal_bytes(const v1::AdmissionRefusal& r) {
    SignedBytes b(kAdmissionRefusalLabel);
    b.fixed(r.group_id()).fixed(r.invitation_nonce()).variable(r.reason()).fixed(r.sender_key());
    return b;
}

}  // namespace

v1::AdmissionRefusal make_admission_refusal(const crypto::SigningKey& inviter, const v1::Invitation& invitation,
                                            const std::string& reason) {
    v1::AdmissionRefusal r;
    r.set_group_id(invitation.group_id());
    r.set_invitation_nonce(invitation.nonce());
    std::size_t cut = std::min(reason.size(), kAdmissionReasonMaxBytes);
    while (cut > 0 && cut < reason.size() && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    r.set_reason(reason.substr(0, cut));  // whole UTF-8 characters: protobuf strings must stay valid
    r.set_sender_key(as_string(inviter.public_key()));
    r.set_signature(sign(inviter, refusal_bytes(r)));
    return r;
}

Status verify_admission_refusal(const v1::AdmissionRefusal& r) {
    for (auto s : {check_size("admission refusal group id", r.group_id(), wire::kGroupIdBytes),
                   check_size("admission refusal invitation nonce", r.invitation_nonce(), wire::kInvitationNonceBytes),
                   check_size("admission refusal sender key", r.sender_key(), crypto::kSignPublicKeyBytes),
                   check_size("admission refusal signature", r.signature(), crypto::kSignatureBytes)}) {
        if (!s) return s;
    }
    if (r.reason().size() > kAdmissionReasonMaxBytes) {
        return make_error(Errc::too_large,
                          "admission refusal reason above " + std::to_string(kAdmissionReasonMaxBytes) + " bytes");
    }
    return check_signature("admission refusal", r.sender_key(), refusal_bytes(r), r.signature());
}

}  // namespace twofold::member
