// Registers `twofold-bench messages` (messages_command.cpp).
#pragma once

#include <CLI/CLI.hpp>

namespace twofold::bench {

// `twofold-bench messages`: protect + parse + open of signed group messages, against the bare
// AEAD in the same run. Failures are printed and set *exit_status to 1.
void add_messages_command(CLI::App& app, int* exit_status);

}  // namespace twofold::bench
