// The real twofold-relay binary as a child of the test. The guard kills (SIGKILL) and reaps it
// in every path, so no test leaves a relay behind.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"
#include "net/endpoint.h"

extern char** environ;

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
        std::vector<std::string> args = {TWOFOLD_RELAY_BINARY, "--data", data_dir.string(), "--listen", "127.0.0.1:0",
                                         "--gms-key", gms_key_hex};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        int out[2];
        if (::pipe(out) != 0) return make_error(Errc::internal, "pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        if (rc != 0) {
            ::close(out[0]);
            pid_ = -1;
            return make_error(Errc::internal, "posix_spawn failed");
        }
        std::string line;
        auto s = read_line(out[0], line);
        ::close(out[0]);
        if (!s) return s;
        // "twofold-relay listening on 127.0.0.1:PORT tls-fingerprint sha256:HEX"
        const auto on = line.find(" on ");
        const auto fp = line.find(" tls-fingerprint ");
        if (on == std::string::npos || fp == std::string::npos) return make_error(Errc::malformed, "odd line: " + line);
        auto ep = net::parse_endpoint(line.substr(on + 4, fp - on - 4), "relay output");
        if (!ep) return ep.error();
        endpoint = *ep;
        fingerprint = line.substr(fp + 17);
        return {};
    }

    void kill_now() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    // SIGTERM, then the exit status (-1 if it did not exit normally within the timeout).
    int terminate(std::chrono::seconds timeout = std::chrono::seconds(20)) {
        if (pid_ <= 0) return -1;
        ::kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            }
            ::usleep(10'000);
        }
        kill_now();
        return -1;
    }

    net::Endpoint endpoint;
    std::string fingerprint;

  private:
    static Status read_line(int fd, std::string& line) {
        constexpr int kStartTimeoutMs = 30'000;  // a sanitizer build starts slowly
        while (line.find('\n') == std::string::npos) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, kStartTimeoutMs) <= 0) return make_error(Errc::timeout, "the relay did not start");
            char buf[256];
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0) return make_error(Errc::unavailable, "the relay exited before listening");
            line.append(buf, static_cast<std::size_t>(n));
        }
        line.resize(line.find('\n'));
        return {};
    }

    pid_t pid_ = -1;
};

}  // namespace twofold::relay::testing
