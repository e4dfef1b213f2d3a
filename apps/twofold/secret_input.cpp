#include "secret_input.h"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

namespace twofold::cli {

namespace {

Result<std::string> prompt_terminal(const std::string& prompt) {
    if (::isatty(STDIN_FILENO) == 0) {
        return make_error(Errc::invalid_argument, prompt + " needed: give a file, or set the environment variable");
    }
    std::cerr << prompt << ": " << std::flush;
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string line;
    std::getline(std::cin, line);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << '\n';
    return line;
}

}  // namespace

Result<std::string> read_secret(const std::optional<std::string>& file, const char* env, const std::string& prompt) {
    if (file) {
        std::ifstream in(*file);
        if (!in) return make_error(Errc::invalid_argument, "cannot read " + *file);
        std::string line;
        std::getline(in, line);
        if (line.empty()) return make_error(Errc::invalid_argument, *file + " is empty");
        return line;
    }
    if (const char* value = std::getenv(env); value != nullptr && *value != '\0') return std::string(value);
    return prompt_terminal(prompt);
}

}  // namespace twofold::cli
