// A twofold-gms process that does not lead (leadership.h): it holds no state and changes nothing.
// It serves the cluster's shared TLS identity on its port, so a member that reaches it is not
// refused at the handshake, and answers every request with NOT_LEADER and the HOST:PORT of the
// process that leads now (GmsResponse.leader; empty during a takeover), which the member follows
// (gms_client/leader_connection.h).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.h"
#include "net/tls_server.h"

namespace twofold::gms {

class Standby {
  public:
    Standby(net::ServerOptions options);
    ~Standby();

    Status bind();
    std::uint16_t bound_port() const;
    // Until SIGTERM/SIGINT or stop().
    Status run();
    void stop();  // thread-safe
    // Thread-safe: where members are sent from now on.
    void set_leader(const std::string& advertise);

  private:
    std::string leader() const;

    mutable std::mutex mutex_;
    std::string leader_;  // guarded
    std::unique_ptr<net::TlsServer> server_;
};

}  // namespace twofold::gms
