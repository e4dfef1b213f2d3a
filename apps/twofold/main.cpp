// twofold: the member's command line.
#include <CLI/CLI.hpp>

#include <iostream>

#include "common/command_line.h"
#include "keys_command.h"
#include "member_commands.h"

int main(int argc, char** argv) {
    using namespace twofold::cli;
    CLI::App app{"twofold: end-to-end encrypted group communication; no server ever holds a group key"};
    app.set_version_flag("--version", std::string("twofold ") + TWOFOLD_VERSION);
    app.require_subcommand(1);
    // Subcommands made from here on pass options they lack to the app, which holds the global
    // ones (--home, --json, --passphrase-file): they go before or after the subcommand.
    app.fallthrough();

    int exit_status = twofold::apps::kExitOk;
    add_keys_command(app, &exit_status);
    add_member_commands(app, &exit_status);

    if (auto exit = twofold::apps::parse_command_line(app, argc, argv, "twofold")) return *exit;
    return exit_status;
}
