// The member-to-member messages of the paper's invitation and withdrawal flows (Fig. 4, 6, 7):
// each is signed by its sender's Ed25519 identity key over a canonical encoding
// (docs/member.md), and RN1 travels only sealed to the recipient's identity key.
//
// These functions check what the bytes alone can prove (shape, signatures, the seal, the GMS's
// statement); the caller checks what needs its state (is this the invitation I sent, is this
// sender a member).
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "crypto/gk.h"
#include "crypto/group_name.h"
#include "crypto/sign.h"
#include "twofold/v1/member.pb.h"

namespace twofold::member {

inline constexpr std::size_t kInvitationNonceBytes = 16;

// The group's name travels sealed to the invitee (covered by the inviter's signature), so the
// invitee sees what it is invited to and neither server does.
Result<v1::Invitation> make_invitation(const crypto::SigningKey& inviter, const std::string& inviter_account,
                                       ByteView group_id, const crypto::GroupName& group_name, const v1::Rights& rights,
                                       const crypto::SignPublicKey& invitee_key,
                                       const v1::MembershipStatement& inviter_statement);

// The invitee's check before it trusts anything: the invitation names `me`, the inviter's
// signature verifies, and the GMS's statement says the inviter (same key, same account) is a
// member of this group with may_invite and every right it grants.
Status verify_invitation(const v1::Invitation& invitation, const crypto::SignPublicKey& me,
                         const crypto::SignPublicKey& gms_key, std::uint64_t now_unix);

// The GMS's statement that the inviter (this key, this account) is a member of the group with
// may_invite, as an invitee checks it on either route.
Status check_inviter_statement(const v1::MembershipStatement& statement, const std::string& group_id,
                               const std::string& inviter_key, const std::string& inviter_account,
                               const crypto::SignPublicKey& gms_key, std::uint64_t now_unix);

// The group's name, opened with the invitee's identity key; call after verify_invitation.
Result<crypto::GroupName> open_invitation_group_name(const v1::Invitation& invitation,
                                                     const crypto::SigningKey& invitee);

v1::Acceptance make_acceptance(const crypto::SigningKey& invitee, const std::string& invitee_account,
                               const v1::Invitation& invitation);

// The inviter's check: the acceptance answers this invitation (group and nonce) and is signed by
// the key the invitation was made for, which the inviter took from a GMS identity statement. A
// relay that substitutes another key fails here: "acceptance key differs from the key the GMS
// registered for ACCOUNT".
Status verify_acceptance(const v1::Acceptance& acceptance, const v1::Invitation& sent);

// RN1 ‖ group name sealed to the recipient, signed by the sender. An empty nonce is a rotation.
Result<v1::Rn1Delivery> make_rn1_delivery(const crypto::SigningKey& sender, ByteView group_id, std::uint64_t generation,
                                          ByteView invitation_nonce, const crypto::Rn1& rn1,
                                          const crypto::GroupName& name, const crypto::SignPublicKey& recipient);

struct Rn1Contents {
    crypto::Rn1 rn1;
    crypto::GroupName name;
};

// Verifies the sender's signature (sender_key in the message; the caller checks who that is),
// then opens the seal with the recipient's identity key.
Result<Rn1Contents> open_rn1_delivery(const v1::Rn1Delivery& delivery, const crypto::SigningKey& recipient);

v1::Withdrawal make_withdrawal(const crypto::SigningKey& sender, ByteView group_id,
                               const crypto::SignPublicKey& removed_key, const std::string& removed_account,
                               std::uint64_t membership_epoch);
Status verify_withdrawal(const v1::Withdrawal& withdrawal);

}  // namespace twofold::member
