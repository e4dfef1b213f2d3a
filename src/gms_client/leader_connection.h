// Reaching whichever of several GMS processes leads (issue 15). Each endpoint is tried in turn;
// a standby's NOT_LEADER answer names the leader (GmsResponse.leader), which is tried next,
// pinned to its known fingerprint; an endpoint that does not answer is skipped. During a
// takeover nobody leads for a few seconds: the round is repeated until `patience` runs out
// (with several endpoints; one endpoint is tried once, as a lone GMS always was).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "gms_client/client.h"
#include "gms_client/endpoints.h"

namespace twofold::gms {

struct LeaderConnection {
    std::unique_ptr<GmsClient> client;
    GmsEndpoint at;  // the process that answered
};

// Connects to the leader and runs `first` there (a login, a registration): its success is what
// says this process leads. An error of `first` that is not about reachability (a wrong password)
// is returned as it is, without trying further.
Result<LeaderConnection> connect_to_leader(const std::vector<GmsEndpoint>& endpoints,
                                           const std::function<Status(GmsClient&)>& first,
                                           std::chrono::milliseconds patience = std::chrono::seconds(15));

}  // namespace twofold::gms
