// Checks a parsed message's field sizes before any other layer looks at it: protobuf accepts a
// `bytes` field of any length, the protocol does not. Cheap checks first (WireGuard's habit).
#pragma once

#include "core/result.h"
#include "twofold/v1/common.pb.h"
#include "twofold/v1/gms.pb.h"
#include "twofold/v1/member.pb.h"
#include "twofold/v1/relay.pb.h"

namespace twofold::wire {

inline constexpr std::size_t kGroupIdBytes = 16;
inline constexpr std::size_t kIdentityKeyBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;
inline constexpr std::size_t kInvitationNonceBytes = 16;
inline constexpr std::size_t kMessageNonceBytes = 24;
inline constexpr std::size_t kKeyConfirmationIdBytes = 16;
inline constexpr std::size_t kAccountMaxBytes = 64;

// An account name: 1-64 bytes of letters, digits and -_.@ (what the GMS accepts).
Status validate_account(const std::string& account);
Status validate(const v1::MembershipStatement& m);
Status validate(const v1::GmsRequest& m);
Status validate(const v1::GroupMessage& m);
Status validate(const v1::Invitation& m);
Status validate(const v1::Acceptance& m);
Status validate(const v1::Rn1Delivery& m);
Status validate(const v1::Withdrawal& m);
Status validate(const v1::RelayRequest& m);

}  // namespace twofold::wire
