// twofold-bench: the project's performance checks, each a subcommand that measures against a
// baseline in the same run (docs/performance.md records the figures and commands).
#include <CLI/CLI.hpp>

#include <iostream>

#include "common/command_line.h"
#include "direct_command.h"
#include "gms_command.h"
#include "lan_rekey_command.h"
#include "lkh_command.h"
#include "messages_command.h"
#include "rekey_command.h"
#include "relay_command.h"

int main(int argc, char** argv) {
    CLI::App app{"twofold-bench: measured, never assumed"};
    app.set_version_flag("--version", std::string("twofold-bench ") + TWOFOLD_VERSION);
    app.require_subcommand(1);
    int exit_status = 0;
    twofold::bench::add_lkh_command(app, &exit_status);
    twofold::bench::add_gms_command(app, &exit_status);
    twofold::bench::add_relay_command(app, &exit_status);
    twofold::bench::add_messages_command(app, &exit_status);
    twofold::bench::add_direct_command(app, &exit_status);
    twofold::bench::add_rekey_command(app, &exit_status);
    twofold::bench::add_lan_rekey_command(app, &exit_status);
    if (auto exit = twofold::apps::parse_command_line(app, argc, argv, "twofold-bench")) return *exit;
    return exit_status;
}
