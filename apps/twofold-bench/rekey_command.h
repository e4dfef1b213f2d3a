#pragma once

#include <CLI/CLI.hpp>

namespace twofold::bench {

// `twofold-bench rekey`: per timed renewal and per removal in a group of N members, the bytes
// the GMS sends and its CPU time, pushing each rekey to every member (today) against publishing
// it once per group to the relay, in the same run (docs/performance.md).
void add_rekey_command(CLI::App& app, int* exit_status);

}  // namespace twofold::bench
