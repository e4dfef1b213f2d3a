// `twofold keys ...`: offline key computations, for checking an implementation by hand.
#pragma once

#include <CLI/CLI.hpp>

namespace twofold::cli {

// Registers `keys gk` on the app. The handler stores its exit status in *exit_status.
void add_keys_command(CLI::App& app, int* exit_status);

}  // namespace twofold::cli
