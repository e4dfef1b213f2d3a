// Passphrases and passwords: from a file (first line), an environment variable for automation,
// or typed at the terminal with echo off. Never from a command-line argument, which other local
// users can read in /proc.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace twofold::cli {

// `file` if given, else the environment variable `env`, else a prompt on the terminal.
Result<std::string> read_secret(const std::optional<std::string>& file, const char* env, const std::string& prompt);

}  // namespace twofold::cli
