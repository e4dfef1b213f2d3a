// Registers `twofold-bench direct` (direct_command.cpp).
#pragma once

#include <CLI/CLI.hpp>

namespace twofold::bench {

// `twofold-bench direct --rtt-ms R`: the NAT lab (tests/natlab/bench.sh, needs root) with netem
// delay; per case (lan, cone-cone, symmetric-relay) the median time from both ends ready to the
// ICE channel established, against the lab's round-trip time. Failures set *exit_status to 1.
void add_direct_command(CLI::App& app, int* exit_status);

}  // namespace twofold::bench
