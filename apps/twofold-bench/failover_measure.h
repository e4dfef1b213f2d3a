// `twofold-bench gms --store postgresql --failover`: the failover time of several twofold-gms
// processes on one database (issue 15) — from the leader's kill -9 to the first request answered
// by the process that takes over, as a member following the leader sees it.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace twofold::bench {

// `rounds` kills of the leader of a two-process cluster on `store` (restarted as a standby
// after each), with `lease_ttl_s`. The times in milliseconds, in order.
Result<std::vector<double>> measure_failover(const std::string& gms_binary, const std::string& store, int rounds,
                                             double lease_ttl_s);

}  // namespace twofold::bench
