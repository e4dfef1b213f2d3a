#pragma once

#include <CLI/CLI.hpp>

namespace twofold::bench {

// `twofold-bench lan-rekey`: in the LAN lab (tests/lanlab, network namespaces; root), over R timed
// renewals, the time from the GMS making each rekey to each member holding it, by multicast, by
// the relay and by the GMS's push, measured on the same rekeys: MIN / MAX / AVE / STD in ms (the
// thesis's Table 7.1 form). `lan-follower` is its member side, run inside the lab.
void add_lan_rekey_command(CLI::App& app, int* exit_status);

}  // namespace twofold::bench
