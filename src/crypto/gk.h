// The group key, exactly as Tanada et al. define it: GK = SHA-256(RN1 ‖ RN2 ‖ GroupName).
// RN1 and RN2 are fixed 32-byte strings, so the concatenation is unambiguous.
#pragma once

#include "crypto/group_name.h"
#include "crypto/secret.h"

namespace twofold::crypto {

inline constexpr std::size_t kRn1Bytes = 32;
inline constexpr std::size_t kRn2Bytes = 32;
inline constexpr std::size_t kGroupKeyBytes = 32;

using Rn1 = Secret<kRn1Bytes, struct Rn1Tag>;            // made by a member, shared member to member
using Rn2 = Secret<kRn2Bytes, struct Rn2Tag>;            // made by the GMS, delivered over LKH
using GroupKey = Secret<kGroupKeyBytes, struct GroupKeyTag>;

Rn1 make_rn1();  // 32 bytes from randombytes_buf
Rn2 make_rn2();

GroupKey derive_group_key(const Rn1& rn1, const Rn2& rn2, const GroupName& name);

}  // namespace twofold::crypto
