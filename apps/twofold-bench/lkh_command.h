#pragma once

#include <CLI/CLI.hpp>

namespace twofold::bench {

// `twofold-bench lkh`: one LKH operation on a tree of N members, against the flat baseline.
void add_lkh_command(CLI::App& app, int* exit_status);

}  // namespace twofold::bench
