// Whether a member takes a signed rekey it received, by whatever path (the GMS's push, the
// relay's group topic, multicast). Pure: the session says which group the rekey came for and
// which RN2 epoch it holds; this says apply, drop as a duplicate, or refuse with the reason.
//
// A copy of an epoch the member still holds the RN2 of (its current one, or one of the grace
// period's) is a duplicate — several paths deliver the same rekey, and a relay's backfill may
// bring rekeys an RN2 inquiry already covered: dropped silently. An epoch older than any it
// holds is refused (a replay): the member never goes back. A newer epoch is applied as far as
// LKH allows; a gap is the session's to close by an RN2 inquiry.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "crypto/sign.h"
#include "twofold/v1/gms.pb.h"

namespace twofold::member {

enum class RekeyUse { apply, duplicate };

// The RN2 epochs a member holds: its path's (newest; 0 for none yet) back to the oldest of the
// grace period (oldest == newest when it keeps no older one).
struct HeldEpochs {
    std::uint64_t oldest = 0;
    std::uint64_t newest = 0;
};

// `group_id`: the group the path named (the relay topic's group, or the group the member looks
// it up under). Refusals: malformed / auth_failed (wire::verify_rekey), forbidden ("rekey is for
// another group"), stale_epoch ("rekey of RN2 epoch E is older than epoch H this member holds").
Result<RekeyUse> accept_rekey(const v1::SignedRekey& rekey, const crypto::SignPublicKey& gms_key,
                              const std::string& group_id, HeldEpochs held);

}  // namespace twofold::member
