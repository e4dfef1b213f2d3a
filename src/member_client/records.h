// How a member's state maps onto its vault (member_store/vault.h). Public state is a protobuf of
// local.proto under one record; secrets are raw records of their own, so they never pass through
// a protobuf string:
//   config/member          v1::MemberConfig           secret/identity    Ed25519 seed
//   secret/password        the GMS account password   group/GID          v1::LocalGroup
//   rn1/GID:GEN            RN1 (32 bytes)              rn2/GID:EPOCH      RN2 of an older epoch
//   path/GID               lkh::MemberState            contact/ACCOUNT    v1::Contact
//   sent/NONCE             v1::SentInvitation          invitation/GID     v1::ReceivedInvitation
//   inbox/NNNNNNNNNNNNNNNNNNNN  v1::InboxItem          deferred/GID:ID    an envelope to retry
#pragma once

#include <google/protobuf/message_lite.h>

#include <optional>
#include <string>

#include "core/result.h"
#include "member/group_keys.h"
#include "member_store/vault.h"
#include "twofold/v1/local.pb.h"

namespace twofold::member_client {

// A public record as a protobuf message: put/get through the vault.
Status put_message(member_store::Vault& vault, std::string_view kind, std::string_view name,
                   const google::protobuf::MessageLite& message);
// false when there is no such record.
Result<bool> get_message(member_store::Vault& vault, std::string_view kind, std::string_view name,
                         google::protobuf::MessageLite& out);

// A group's secrets: every held RN1 generation, older RN2 epochs and the current path.
Status save_group_keys(member_store::Vault& vault, const std::string& gid_hex, const member::GroupKeys& keys);
// nullopt when the group has no name yet (no RN1 arrived): there are no keys to load.
Result<std::optional<member::GroupKeys>> load_group_keys(member_store::Vault& vault, const v1::LocalGroup& group);
// Wipes every secret record of a group (removal, leave).
Status erase_group_keys(member_store::Vault& vault, const std::string& gid_hex);

}  // namespace twofold::member_client
