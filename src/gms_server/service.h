// twofold-gms as a library: the pure GmsCore behind a TLS server and a store (SQLite or PostgreSQL, gms/store.h), with group
// commit. Frames read in one pass over the ready connections are handled, their membership
// changes applied (one rekey per group), the journal committed with one fsync (on a commit
// thread, in batch order, while the server thread handles the next batch), and only then are
// answers and rekeys released. A crash therefore never loses an acknowledged change.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "crypto/password.h"
#include "crypto/sign.h"
#include "gms/core.h"
#include "gms/store.h"
#include "net/endpoint.h"
#include "net/tls_server.h"

namespace twofold::gms {

struct ServiceOptions {
    std::filesystem::path data_dir;  // keys (TLS, signing, storage) and, by default, the SQLite store
    std::string store;               // empty: SQLite in data_dir; or a postgresql:// URL (open_store.h)
    net::Endpoint listen;
    Config core;
    crypto::PwhashLimits password_limits = crypto::PwhashLimits::interactive();
    std::size_t max_connections = 4096;
    std::size_t max_connections_per_address = 64;
    std::chrono::milliseconds idle_timeout{300'000};
    std::chrono::milliseconds frame_timeout{10'000};  // requests are small
    std::chrono::milliseconds auth_timeout{10'000};   // until a login or registration succeeds
    std::chrono::milliseconds renewal_tick{250};
    std::string multicast_interface;  // with core.lan set: rekeys also go by IP multicast there
    // With a relay: each rekey is also published once to its group's topic there
    // (relay_publisher.h), authenticated as the GMS; relay_fingerprint pins its TLS certificate.
    std::optional<net::Endpoint> relay;
    std::string relay_fingerprint;
    // With several GMS processes on one database (leadership.h): asked before each batch is
    // answered; false stops the service at once, answering nothing more: it no longer leads.
    std::function<bool()> still_leader;
};

// What `twofold-gms info` prints, and what the first line of a running server says.
struct Identity {
    std::string tls_fingerprint;  // "sha256:HEX"
    std::string signing_key_hex;  // the Ed25519 public key members and the relay check statements with
};

// Creates the data directory, TLS identity and signing key on first use.
Result<Identity> load_or_create_identity(const std::filesystem::path& data_dir);

namespace detail {
struct ServiceState;  // service.cpp
}

class Service {
  public:
    static Result<std::unique_ptr<Service>> open(ServiceOptions options);
    // With a store already opened (by leadership.h, with its fencing guard set).
    static Result<std::unique_ptr<Service>> open(ServiceOptions options, std::unique_ptr<Store> store);
    ~Service();

    Status bind();  // then bound_port() is known (port 0 picks one)
    std::uint16_t bound_port() const;
    const Identity& identity() const;
    Status run();  // until SIGTERM/SIGINT or stop()
    void stop();   // thread-safe

  private:
    explicit Service(std::unique_ptr<detail::ServiceState> state);
    std::unique_ptr<detail::ServiceState> state_;
};

}  // namespace twofold::gms
