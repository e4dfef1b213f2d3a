// How an invitation code becomes the Noise PSK of the direct route (docs/direct-route.md):
//
//   PRS = the code's canonical form ("7-tulip-harbor")
//   CI  = lv_cat("twofold direct route v1", inviter identity key, invitee identity key)
//         (the initiator's identity first, as draft-irtf-cfrg-cpace's guidance on CI says)
//   sid = the invitation nonce (random, made by the inviter, carried in the signed invitation)
//   CPace in initiator-responder mode, inviter = initiator, ADa = ADb = empty
//   PSK = HKDF-SHA256(salt = empty, IKM = ISK, info = "twofold direct route noise psk v1" ‖ 0x00, 32)
#pragma once

#include <string_view>

#include "core/result.h"
#include "handshake/cpace.h"
#include "handshake/invite_code.h"
#include "handshake/noise_xxpsk3.h"

namespace twofold::handshake {

inline constexpr std::string_view kDirectRouteCpaceLabel = "twofold direct route v1";
inline constexpr std::string_view kDirectRoutePskLabel = "twofold direct route noise psk v1";
inline constexpr std::size_t kInvitationNonceMinBytes = 16;  // sid: at least 128 random bits
inline constexpr std::size_t kIdentityKeyBytes = 32;         // Ed25519 public keys

struct DirectRouteCpaceInputs {
    ByteView prs;  // points into the InviteCode, which must outlive this
    Bytes ci;
    Bytes sid;
};

// The CPace inputs bound to one invitation and both identities; wrong sizes are an error.
Result<DirectRouteCpaceInputs> direct_route_cpace_inputs(const InviteCode& code, ByteView invitation_nonce,
                                                         ByteView inviter_identity_key, ByteView invitee_identity_key);

// One labelled HKDF step from CPace's 64-byte ISK to the 32-byte Noise PSK.
Result<NoisePsk> direct_route_noise_psk(const CpaceIsk& isk);

}  // namespace twofold::handshake
