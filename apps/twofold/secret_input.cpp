#include "secret_input.h"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

namespace twofold::cli {

namespace {

std::string read_quietly(const std::string& prompt) {
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

Result<std::string> prompt_terminal(const SecretSource& s) {
    if (::isatty(STDIN_FILENO) == 0) {
        return make_error(Errc::invalid_argument, s.prompt + " needed: give " + s.file_option + " FILE or set " +
                                                      s.env + " (no terminal to ask on)");
    }
    std::string line = read_quietly(s.prompt);
    if (line.empty()) return make_error(Errc::invalid_argument, s.prompt + " is empty");
    // A typo in a new passphrase would lock the store for good: it is typed twice.
    if (s.confirm && read_quietly(s.prompt + " (again)") != line) {
        return make_error(Errc::invalid_argument, s.prompt + ": the two entries differ");
    }
    return line;
}

}  // namespace

Result<std::string> read_secret(const SecretSource& s) {
    if (s.file) {
        std::ifstream in(*s.file);
        if (!in) return make_error(Errc::invalid_argument, "cannot read " + *s.file + " (" + s.file_option + ")");
        std::string line;
        std::getline(in, line);
        if (line.empty()) return make_error(Errc::invalid_argument, *s.file + " is empty (" + s.file_option + ")");
        return line;
    }
    if (const char* value = std::getenv(s.env); value != nullptr && *value != '\0') return std::string(value);
    return prompt_terminal(s);
}

}  // namespace twofold::cli
