// Passphrases and passwords: from a file (first line), an environment variable for automation,
// or typed at the terminal with echo off. Never from a command-line argument, which other local
// users can read in /proc.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace twofold::cli {

// Where a secret may come from, named in the error when none is given.
struct SecretSource {
    std::optional<std::string> file;  // the value of `file_option`
    std::string file_option;          // e.g. "--password-file"
    const char* env;                  // e.g. "TWOFOLD_PASSWORD"
    std::string prompt;               // e.g. "GMS password for alice"
    bool confirm = false;             // a new secret: typed twice at a terminal
};

// The file if given, else the environment variable, else a prompt on the terminal.
Result<std::string> read_secret(const SecretSource& source);

}  // namespace twofold::cli
