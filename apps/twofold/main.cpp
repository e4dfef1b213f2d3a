// twofold: the member's command line.
#include <CLI/CLI.hpp>

#include <iostream>

#include "exit_codes.h"
#include "keys_command.h"

int main(int argc, char** argv) {
    using namespace twofold::cli;
    CLI::App app{"twofold: end-to-end encrypted group communication; no server ever holds a group key"};
    app.set_version_flag("--version", std::string("twofold ") + TWOFOLD_VERSION);
    app.require_subcommand(1);

    int exit_status = kExitOk;
    add_keys_command(app, &exit_status);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "twofold: " << e.what() << "\nRun with --help for usage.\n";
        return kExitUsage;
    }
    return exit_status;
}
