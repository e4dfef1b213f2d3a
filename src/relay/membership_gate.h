// Who may publish to and receive from a group: the holder of a valid GMS-signed membership
// statement for it (wire/statement.h).
//
// The relay cannot ask the GMS for the current epoch, so it learns it from the statements it
// sees: they are signed by the GMS, so the highest epoch seen for a group is authoritative.
// A statement of that epoch is accepted; an older one only for `grace_ms` after the newer epoch
// was first seen (members need a moment to fetch fresh statements after a join or removal).
// After that a member removed at the newer epoch, who can only show an older statement, is
// refused: this is the relay's removal enforcement. The statement's own expiry applies too.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "crypto/sign.h"
#include "relay/types.h"
#include "twofold/v1/common.pb.h"

namespace twofold::relay {

class MembershipGate {
  public:
    MembershipGate(crypto::SignPublicKey gms_key, std::uint64_t grace_ms) : gms_key_(gms_key), grace_ms_(grace_ms) {}

    void load(const std::vector<GroupEpoch>& epochs);

    // Checks the statement for `member` in `group` at `now_ms`: signature (skipped when
    // `signature_checked`, for a statement already verified byte for byte), group, identity,
    // expiry, epoch. Errors: forbidden (other group or key, forged), stale_epoch (expired, or an
    // epoch past its grace). A newer epoch becomes the group's current one; it is returned
    // through `raised` so the caller can persist it.
    Status admit(const v1::MembershipStatement& statement, const MemberKey& member, const GroupId& group,
                 std::uint64_t now_ms, bool signature_checked, std::vector<GroupEpoch>& raised);

    // Is a statement of `epoch` (already admitted once) still good for `group` at `now_ms`?
    bool epoch_acceptable(const GroupId& group, std::uint64_t epoch, std::uint64_t now_ms) const;

  private:
    crypto::SignPublicKey gms_key_;
    std::uint64_t grace_ms_;
    std::unordered_map<GroupId, GroupEpoch> current_;
};

}  // namespace twofold::relay
