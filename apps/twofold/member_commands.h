// The member's subcommands (init, group, invite, accept, send, recv, chat, remove, leave ...),
// each a thin layer over include/twofold/member.h.
#pragma once

#include <CLI/CLI.hpp>

namespace twofold::cli {

void add_member_commands(CLI::App& app, int* exit_status);

}  // namespace twofold::cli
