#include "handshake/direct_route_keys.h"

#include "crypto/hkdf.h"
#include "handshake/cpace_strings.h"

namespace twofold::handshake {

Result<DirectRouteCpaceInputs> direct_route_cpace_inputs(const InviteCode& code, ByteView invitation_nonce,
                                                         ByteView inviter_identity_key, ByteView invitee_identity_key) {
    if (invitation_nonce.size() < kInvitationNonceMinBytes) {
        return make_error(Errc::invalid_argument, "direct route: invitation nonce must be at least 16 bytes");
    }
    if (inviter_identity_key.size() != kIdentityKeyBytes || invitee_identity_key.size() != kIdentityKeyBytes) {
        return make_error(Errc::invalid_argument, "direct route: identity keys must be 32 bytes each");
    }
    DirectRouteCpaceInputs in;
    in.prs = code.canonical();
    in.ci = cpace_lv_cat({as_bytes(kDirectRouteCpaceLabel), inviter_identity_key, invitee_identity_key});
    in.sid.assign(invitation_nonce.begin(), invitation_nonce.end());
    return in;
}

Result<NoisePsk> direct_route_noise_psk(const CpaceIsk& isk) {
    NoisePsk psk;
    const Bytes info = crypto::labelled_info(kDirectRoutePskLabel, {});
    if (auto s = crypto::hkdf({}, isk.span(), info, psk.mutable_span()); !s) return s.error();
    return psk;
}

}  // namespace twofold::handshake
