// The inviter's word to an invitee that the GMS refused to add it after it accepted (no right,
// group full, unknown account): the invitation ends, and the invitee stops waiting for RN1.
// Signed like every member-to-member message (docs/member.md):
//   "twofold/v1 admission refusal" ‖ 0x00 ‖ group_id(16) ‖ invitation_nonce(16) ‖ len ‖ reason
//   ‖ sender_key(32)
#pragma once

#include <string>

#include "core/result.h"
#include "crypto/sign.h"
#include "twofold/v1/member.pb.h"

namespace twofold::member {

inline constexpr std::size_t kAdmissionReasonMaxBytes = 512;

v1::AdmissionRefusal make_admission_refusal(const crypto::SigningKey& inviter, const v1::Invitation& invitation,
                                            const std::string& reason);

// Shape and the sender's signature; the caller checks that the sender is its inviter and the
// nonce its accepted invitation's.
Status verify_admission_refusal(const v1::AdmissionRefusal& refusal);

}  // namespace twofold::member
