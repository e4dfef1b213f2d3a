// GMS-signed membership statements: "this identity key is a member of this group at this epoch,
// with these rights, until this time". Members and the relay check them offline with the GMS's
// Ed25519 key (from `twofold-gms info`), without asking the GMS.
//
// Signed bytes (all integers big-endian, docs/protocol.md):
//   "twofold/v1 membership statement" ‖ 0x00 ‖ group_id(16) ‖ epoch(8) ‖ identity_key(32)
//   ‖ account_length(1) ‖ account ‖ rights(1: bit0 may_invite, bit1 may_remove) ‖ expires_unix(8)
//   ‖ member_since(8)
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
// verify"), or stale_epoch ("statement expired at ..."). `now_unix` comes from the caller: this
// layer has no clock.
Status verify_statement(const v1::MembershipStatement& statement, const crypto::SignPublicKey& gms_key,
                        std::uint64_t now_unix);

// Identity statements bind an account name to its registered identity key:
//   "twofold/v1 identity statement" ‖ 0x00 ‖ account_length(1) ‖ account ‖ identity_key(32)
Bytes identity_signed_bytes(const v1::IdentityStatement& statement);
void sign_identity(v1::IdentityStatement& statement, const crypto::SigningKey& gms_key);
Status verify_identity(const v1::IdentityStatement& statement, const crypto::SignPublicKey& gms_key);

}  // namespace twofold::wire
