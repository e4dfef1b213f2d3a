// Registers `twofold-bench relay` (relay_command.cpp).
#pragma once

#include <CLI/CLI.hpp>

namespace twofold::bench {

// Failures are printed and set *exit_status to 1.
void add_relay_command(CLI::App& app, int* exit_status);

}  // namespace twofold::bench
