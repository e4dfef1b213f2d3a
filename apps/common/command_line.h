// What every twofold program does with its command line: help and version print and exit 0; a
// usage error prints one line naming the problem and exits 2 (kExitUsage).
#pragma once

#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>
#include <string_view>

namespace twofold::apps {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // well formed, but it could not be done
inline constexpr int kExitUsage = 2;    // a missing or malformed argument

// nullopt: parsed, carry on. Otherwise the status to exit with now.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, std::string_view program) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {  // --help, --help-all, --version
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << program << ": " << e.what() << "\nRun with --help for usage.\n";
        return kExitUsage;
    }
    return std::nullopt;
}

}  // namespace twofold::apps
