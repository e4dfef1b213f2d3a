// hello_member: a program built against the installed twofold package, not the source tree
// (docs/install.md). With no server anywhere it asks the member library two questions whose
// answers are documented, and exits 0 only when both come back as documented:
//   open() on a home that holds no member: Errc::unknown, naming that home;
//   init() against a GMS nobody listens on: Errc::unavailable, "cannot reach the GMS", and no
//   store left behind (a store is only made for an account the GMS has registered).
#include <twofold/member.h>

#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <iostream>
#include <string>

namespace {

// True when `result` failed with `code` and a message containing `text`; says which on stdout.
template <class T>
bool failed_as(const char* what, const twofold::Result<T>& result, twofold::Errc code, const std::string& text) {
    if (result) {
        std::cout << "FAIL " << what << ": succeeded, expected " << twofold::errc_name(code) << '\n';
        return false;
    }
    const twofold::Error& error = result.error();
    const bool as_documented = error.code == code && error.message.find(text) != std::string::npos;
    std::cout << (as_documented ? "ok   " : "FAIL ") << what << ": " << twofold::errc_name(error.code) << ": "
              << error.message << '\n';
    return as_documented;
}

}  // namespace

int main() {
    std::string scratch = (std::filesystem::temp_directory_path() / "hello_member.XXXXXX").string();
    if (mkdtemp(scratch.data()) == nullptr) {
        std::cerr << "hello_member: cannot make a directory under " << std::filesystem::temp_directory_path() << '\n';
        return 1;
    }
    const std::filesystem::path home = std::filesystem::path(scratch) / "alice";

    bool ok = failed_as("open", twofold::Member::open(home, "a passphrase"), twofold::Errc::unknown, home.string());

    twofold::InitOptions options;
    options.account = "alice";
    options.password = "a password";
    options.gms = "127.0.0.1:1";  // nobody listens on port 1
    options.gms_fingerprint = "sha256:" + std::string(64, '0');  // well formed, never checked
    options.gms_signing_key = std::string(64, '0');
    options.relay = "127.0.0.1:2";
    options.relay_fingerprint = options.gms_fingerprint;
    options.store_limits = twofold::crypto::PwhashLimits::minimum();
    ok &= failed_as("init", twofold::Member::init(home, "a passphrase", options), twofold::Errc::unavailable,
                    "cannot reach the GMS");
    if (std::filesystem::exists(home / "member.db")) {
        std::cout << "FAIL init left a store behind in " << home << '\n';
        ok = false;
    }

    std::filesystem::remove_all(scratch);
    return ok ? 0 : 1;
}
