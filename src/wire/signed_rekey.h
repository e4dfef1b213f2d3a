// GMS-signed rekeys: a v1::Rekey (LKH message, RN2 epoch, membership epoch, events) signed with
// the GMS's Ed25519 key that members pin, so that a rekey may reach a member by any path (the
// GMS's push, the relay's group topic, IP multicast) and be checked offline. Pure: no I/O.
//
// Signed bytes (all integers big-endian, docs/protocol.md "Signed rekeys"):
//   "twofold/v1 rekey" ‖ 0x00 ‖ group_id(16) ‖ rn2_epoch(8) ‖ membership_epoch(8)
//   ‖ lkh_length(4) ‖ lkh_message ‖ event_count(2)
//   ‖ per event: account_length(1) ‖ account ‖ change(1) ‖ rights(1: bit0 may_invite,
//     bit1 may_remove) ‖ identity_key(32)
// The context string keeps a rekey signature from ever verifying as a statement, or the reverse.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "crypto/sign.h"
#include "twofold/v1/gms.pb.h"

namespace twofold::wire {

inline constexpr std::size_t kRekeyLkhMaxBytes = 64 * 1024;  // a removal at 2^20 leaves is ~4 KiB
inline constexpr std::size_t kRekeyMaxEvents = 4096;         // one batch's membership changes

// Field sizes and ranges: malformed (naming the field) or too_large.
Status validate(const v1::Rekey& rekey);

// The canonical bytes the signature covers; `rekey` must have passed validate().
Bytes rekey_signed_bytes(const v1::Rekey& rekey);

v1::SignedRekey sign_rekey(v1::Rekey rekey, const crypto::SigningKey& gms_key);

// Shape, then the signature: malformed / too_large, or auth_failed ("rekey signature does not
// verify with the GMS key").
Status verify_rekey(const v1::SignedRekey& signed_rekey, const crypto::SignPublicKey& gms_key);

// Parses an encoded SignedRekey (as carried by the relay or multicast) and verifies it.
Result<v1::SignedRekey> parse_signed_rekey(ByteView encoded, const crypto::SignPublicKey& gms_key);

}  // namespace twofold::wire
