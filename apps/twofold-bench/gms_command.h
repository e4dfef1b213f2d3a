#pragma once

#include <CLI/CLI.hpp>

namespace twofold::bench {

// `twofold-bench gms`: durable membership changes per second and rekey delivery latency.
void add_gms_command(CLI::App& app, int* exit_status);

}  // namespace twofold::bench
