// Whether a member takes a signed rekey it received, by whatever path (the GMS's push, the
// relay's group topic, multicast). Pure: the session says which group the rekey came for and
// which RN2 epoch it holds; this says apply, drop as a duplicate, or refuse with the reason.
//
// A copy of the epoch the member already holds is a duplicate (several paths deliver the same
// rekey): dropped silently. An older epoch is refused (a replay, or a copy late past a newer
// one): the member never goes back. A newer epoch than the next is applied as far as LKH allows;
// a gap is the session's to close by an RN2 inquiry.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "crypto/sign.h"
#include "twofold/v1/gms.pb.h"

namespace twofold::member {

enum class RekeyUse { apply, duplicate };

// `group_id`: the group the path named (the relay topic's group, or the group the member looks
// it up under). `held_epoch`: the RN2 epoch of the member's path, 0 for none yet.
// Refusals: malformed / auth_failed (wire::verify_rekey), forbidden ("rekey is for another
// group"), stale_epoch ("rekey of RN2 epoch E is older than epoch H this member holds").
Result<RekeyUse> accept_rekey(const v1::SignedRekey& rekey, const crypto::SignPublicKey& gms_key,
                              const std::string& group_id, std::uint64_t held_epoch);

}  // namespace twofold::member
