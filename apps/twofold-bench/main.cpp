// twofold-bench: the project's performance checks, each a subcommand that measures against a
// baseline in the same run (docs/performance.md records the figures and commands).
#include <CLI/CLI.hpp>

#include <iostream>

#include "gms_command.h"
#include "lkh_command.h"
#include "relay_command.h"

int main(int argc, char** argv) {
    CLI::App app{"twofold-bench: measured, never assumed"};
    app.set_version_flag("--version", std::string("twofold-bench ") + TWOFOLD_VERSION);
    app.require_subcommand(1);
    int exit_status = 0;
    twofold::bench::add_lkh_command(app, &exit_status);
    twofold::bench::add_gms_command(app, &exit_status);
    twofold::bench::add_relay_command(app, &exit_status);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "twofold-bench: " << e.what() << "\nRun with --help for usage.\n";
        return 2;
    }
    return exit_status;
}
