// twofold-relay as a library: the pure RelayCore behind a TLS server and a SQLite store, with
// group commit. Frames read in one pass over the ready connections are handled, the batch is
// committed with one fsync, and only then are accepted ids and deliveries released.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "core/result.h"
#include "crypto/sign.h"
#include "net/endpoint.h"
#include "relay/core.h"

namespace twofold::relay {

struct ServiceOptions {
    std::filesystem::path data_dir;
    net::Endpoint listen;
    crypto::SignPublicKey gms_key{};
    Config core;
    std::size_t max_connections = 4096;
    std::size_t max_connections_per_address = 64;
    std::chrono::milliseconds idle_timeout{600'000};
    // An envelope of up to 256 KiB must get through a slow uplink: ~22 s at 100 kbit/s.
    std::chrono::milliseconds frame_timeout{30'000};
    std::chrono::milliseconds auth_timeout{10'000};  // until the AuthResponse is accepted
    std::chrono::milliseconds sweep_period{60'000};  // deletes expired envelopes
    std::chrono::milliseconds commit_interval{2};    // least pause between two group commits
};

namespace detail {
struct ServiceState;  // service.cpp
}

class Service {
  public:
    // Creates the data directory and the TLS identity on first use; opens DIR/relay.db.
    static Result<std::unique_ptr<Service>> open(ServiceOptions options);
    ~Service();

    Status bind();  // then bound_port() is known (port 0 picks one)
    std::uint16_t bound_port() const;
    const std::string& tls_fingerprint() const;  // "sha256:HEX"
    Status run();                                // until SIGTERM/SIGINT or stop()
    void stop();                                 // thread-safe

  private:
    explicit Service(std::unique_ptr<detail::ServiceState> state);
    std::unique_ptr<detail::ServiceState> state_;
};

}  // namespace twofold::relay
