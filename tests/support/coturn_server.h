// The real coturn (turnserver) for a test: its own configuration, secret, log and SQLite file in
// a fresh temporary directory, listening on 127.0.0.1 at a free UDP port. The configuration is
// the one scripts/lib/coturn.sh writes for the NAT lab and `make demo`. Stopped and removed in
// the destructor; started with PR_SET_PDEATHSIG, so it dies with a test that aborts.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "proc/child_process.h"

namespace twofold::testing {

class CoturnServer {
  public:
    explicit CoturnServer(const std::string& secret) {
        char pattern[] = "/tmp/twofold-coturn.XXXXXX";
        if (::mkdtemp(pattern) == nullptr) return;
        dir_ = pattern;
        std::ofstream(dir_ / "secret") << secret << '\n';
        for (int attempt = 0; attempt < 5 && !running(); ++attempt) start_on(free_udp_port());
    }
    ~CoturnServer() {
        stop();
        if (!dir_.empty()) std::filesystem::remove_all(dir_);
    }
    CoturnServer(const CoturnServer&) = delete;
    CoturnServer& operator=(const CoturnServer&) = delete;

    bool running() const { return process_ != nullptr; }
    std::uint16_t port() const { return port_; }
    const std::filesystem::path& dir() const { return dir_; }
    std::string log() const {
        std::ifstream in(dir_ / "turnserver.log");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    void stop() { process_.reset(); }  // SIGKILL and reap

  private:
    static std::uint16_t free_udp_port() {
        const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        ::close(fd);
        return ntohs(a.sin_port);
    }
    // coturn prints no "ready" line: it listens once 127.0.0.1:port can no longer be bound.
    static bool udp_port_taken(std::uint16_t port) {
        const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        const bool taken = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno == EADDRINUSE;
        ::close(fd);
        return taken;
    }
    void start_on(std::uint16_t port) {
        const std::string config = "bash '" TWOFOLD_SOURCE_DIR "/scripts/lib/coturn.sh' config '" + dir_.string() +
                                   "' 127.0.0.1 " + std::to_string(port) + " '" + (dir_ / "secret").string() + "'";
        if (std::system(config.c_str()) != 0) return;
        auto process = std::make_unique<proc::ChildProcess>(
            std::vector<std::string>{"/usr/bin/turnserver", "-c", (dir_ / "turnserver.conf").string()});
        for (int i = 0; i < 100 && process->started(); ++i) {
            if (udp_port_taken(port)) {
                process_ = std::move(process);
                port_ = port;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    std::filesystem::path dir_;
    std::unique_ptr<proc::ChildProcess> process_;
    std::uint16_t port_ = 0;
};

}  // namespace twofold::testing
