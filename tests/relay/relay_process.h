// The real twofold-relay binary as a child of the test (proc::ChildProcess): killed (SIGKILL) and
// reaped in every path, and killed by the kernel if the test itself dies (PR_SET_PDEATHSIG), so no
// test, not even one that crashes, leaves a relay behind. Its stderr (logs, sanitizer reports) is
// the test's.
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "net/endpoint.h"
#include "proc/child_process.h"

namespace twofold::relay::testing {

class RelayProcess {
  public:
    RelayProcess() = default;
    RelayProcess(const RelayProcess&) = delete;
    RelayProcess& operator=(const RelayProcess&) = delete;
    ~RelayProcess() { kill_now(); }

    // Starts the relay and waits for its "listening on HOST:PORT tls-fingerprint F" line.
    Status start(const std::filesystem::path& data_dir, const std::string& gms_key_hex,
                 std::vector<std::string> extra = {}) {
        constexpr std::chrono::seconds kStartTimeout{30};  // a sanitizer build starts slowly
        std::vector<std::string> args = {TWOFOLD_RELAY_BINARY, "--data",    data_dir.string(), "--listen",
                                         "127.0.0.1:0",        "--gms-key", gms_key_hex};
        args.insert(args.end(), extra.begin(), extra.end());
        kill_now();
        process_ = std::make_unique<proc::ChildProcess>(args);
        if (!process_->started()) return make_error(Errc::internal, "cannot start " + args[0]);
        // "twofold-relay listening on 127.0.0.1:PORT tls-fingerprint sha256:HEX"
        const std::string line = process_->first_line(kStartTimeout);
        if (line.empty()) return make_error(Errc::unavailable, "the relay exited or did not start within 30 s");
        fingerprint = proc::word_after(line, "tls-fingerprint");
        if (fingerprint.empty()) return make_error(Errc::malformed, "odd line: " + line);
        auto ep = net::parse_endpoint(proc::word_after(line, "on"), "relay output");
        if (!ep) return ep.error();
        endpoint = *ep;
        return {};
    }

    void kill_now() { process_.reset(); }  // SIGKILL and reap

    // SIGTERM, then the exit status (-1 if it did not exit normally within the timeout).
    int terminate(std::chrono::seconds timeout = std::chrono::seconds(20)) {
        if (!process_) return -1;
        const int status = process_->terminate(timeout);
        process_.reset();
        return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    net::Endpoint endpoint;
    std::string fingerprint;

  private:
    std::unique_ptr<proc::ChildProcess> process_;
};

}  // namespace twofold::relay::testing
