// The direct route's signalling (docs/direct-route.md §3): an offer from the inviter and an
// answer from the invitee, carried as envelopes through the relay's mailboxes. Each carries one
// side's ICE parameters and one CPace message, is signed by its sender's identity key and bound
// to one invitation (its nonce, both identity keys, the group id) and one attempt. The relay
// sees addresses and public CPace points, never a key.
//
// Pure: these functions check what the bytes alone prove (shape, bounds, signatures, the GMS's
// statement, which offer an answer answers, expiry and replays against the numbers the caller
// keeps); the caller supplies the time and what it has already used.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "crypto/group_name.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "handshake/cpace.h"
#include "twofold/v1/member.pb.h"

namespace twofold::member {

// A wrong code three times voids the invitation (each attempt gives an attacker one guess).
inline constexpr std::uint32_t kDirectMaxAttempts = 3;
inline constexpr std::size_t kDirectMaxCandidates = 32;
inline constexpr std::size_t kDirectCandidateMaxBytes = 512;
inline constexpr std::size_t kDirectUfragMinBytes = 4;   // RFC 8445 §5.3: at least 24 bits
inline constexpr std::size_t kDirectPwdMinBytes = 22;    // and at least 128 bits
inline constexpr std::size_t kDirectIceFieldMaxBytes = 256;
// A whole offer or answer, refused unread above this.
inline constexpr std::size_t kDirectSignallingMaxBytes = 32 * 1024;

struct DirectOfferInputs {
    std::string inviter_account;
    ByteView group_id;
    ByteView invitation_nonce;
    crypto::SignPublicKey invitee_key{};
    std::uint32_t attempt = 1;
    std::uint64_t expires_unix = 0;
    const crypto::GroupName* group_name = nullptr;  // sealed to the invitee
    v1::DirectIce ice;
    handshake::CpacePoint cpace_point{};
    v1::MembershipStatement inviter_statement;
};

Result<v1::DirectOffer> make_direct_offer(const crypto::SigningKey& inviter, const DirectOfferInputs& in);

// The invitee's check: addressed to `me`, well formed, signed by its inviter_key, not expired,
// and the GMS's statement says that key (same account) is a member of the group with may_invite.
Status verify_direct_offer(const v1::DirectOffer& offer, const crypto::SignPublicKey& me,
                           const crypto::SignPublicKey& gms_key, std::uint64_t now_unix);
// Replay: an attempt of this invitation that was already answered (answered_attempt: the highest
// one, 0 for none) is refused, as is a repeat of an older one.
Status check_offer_fresh(const v1::DirectOffer& offer, std::uint32_t answered_attempt);

// What the answer names to say which offer it answers; also part of the Noise prologue.
crypto::Sha256Digest direct_offer_hash(const v1::DirectOffer& offer);
crypto::Sha256Digest direct_answer_hash(const v1::DirectAnswer& answer);

v1::DirectAnswer make_direct_answer(const crypto::SigningKey& invitee, const v1::DirectOffer& offer,
                                    const v1::DirectIce& ice, const handshake::CpacePoint& cpace_point);

// The inviter's check against the offer it has outstanding: well formed, for this invitation and
// attempt (an older attempt's answer is a replay), naming this very offer (an altered offer was
// answered otherwise), and signed by the key the GMS registered for the invitee (the offer's).
Status verify_direct_answer(const v1::DirectAnswer& answer, const v1::DirectOffer& offer);

// Shape and bounds of one side's ICE parameters: printable ASCII only, so nothing can smuggle a
// line break into what libnice parses.
Status check_direct_ice(std::string_view what, const v1::DirectIce& ice);

// CPace's sid for one attempt: the invitation nonce ‖ the attempt (one byte), so no two runs share it.
Bytes direct_cpace_sid(const std::string& invitation_nonce, std::uint32_t attempt);

// The Noise prologue: both sides must have seen the same signed offer and answer, for the same
// invitation, group and identity keys, or the handshake fails.
Bytes direct_noise_prologue(const v1::DirectOffer& offer, const v1::DirectAnswer& answer);

}  // namespace twofold::member
