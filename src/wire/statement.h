// GMS-signed membership statements: "this identity key is a member of this group at this epoch,
// with these rights, until this time". Members and the relay check them offline with the GMS's
// Ed25519 key (from `twofold-gms info`), without asking the GMS.
//
// Signed bytes (all integers big-endian, docs/protocol.md):
//   "twofold/v1 membership statement" ‖ 0x00 ‖ group_id(16) ‖ epoch(8) ‖ identity_key(32)
//   ‖ account_length(1) ‖ account ‖ rights(1: bit0 may_invite, bit1 may_remove) ‖ expires_unix(8)
//   ‖ member_since(8) ‖ valid_until(8)
// valid_until (field 9) is when the membership itself ends (0: never); expires_unix is how long
// this copy of the statement may circulate, never later than valid_until.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "crypto/sign.h"
#include "twofold/v1/common.pb.h"

namespace twofold::wire {

Bytes statement_signed_bytes(const v1::MembershipStatement& statement);

// Fills gms_signature.
void sign_statement(v1::MembershipStatement& statement, const crypto::SigningKey& gms_key);

// Checks shape, signature and expiry: malformed, auth_failed ("statement signature does not
// verify"), or stale_epoch ("membership of ACCOUNT expired at T" past valid_until, "statement
// expired at ..." past expires_unix). `now_unix` comes from the caller: this
// layer has no clock.
Status verify_statement(const v1::MembershipStatement& statement, const crypto::SignPublicKey& gms_key,
                        std::uint64_t now_unix);

// Until when a holder of the statement counts as a member (unix seconds): its expires_unix,
// or its valid_until when that comes first. The relay and the broker hold a statement this long.
std::uint64_t statement_deadline_unix(const v1::MembershipStatement& statement);

// Identity statements bind an account name to its registered identity key:
//   "twofold/v1 identity statement" ‖ 0x00 ‖ account_length(1) ‖ account ‖ identity_key(32)
Bytes identity_signed_bytes(const v1::IdentityStatement& statement);
void sign_identity(v1::IdentityStatement& statement, const crypto::SigningKey& gms_key);
Status verify_identity(const v1::IdentityStatement& statement, const crypto::SignPublicKey& gms_key);

}  // namespace twofold::wire
