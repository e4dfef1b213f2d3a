// Several twofold-gms processes on one PostgreSQL database (issue 15, decision 40): each runs
// this loop. It stands by (gms_server/standby.h: the shared identity on its port, NOT_LEADER
// answers naming the leader) until the lease (gms_pg/lease.h) is free, takes it, then loads the
// state and serves as the one leader: its commits carry the fencing check, it alone runs the
// RN2 renewal timer and publishes to the relay and the LAN, and it renews the lease every third
// of its TTL. If a renewal finds the lease taken, or no renewal has succeeded for a whole TTL
// (the database is out of reach, or the process was paused), it stops answering at once, steps
// down and stands by again. SIGTERM while leading lets the lease go, so a standby takes over
// without waiting for the TTL.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/result.h"
#include "gms_server/service.h"

namespace twofold::gms {

struct LeadershipOptions {
    // What standbys tell members: HOST:PORT of this process. A missing or zero port means the
    // port --listen bound.
    std::string advertise;
    std::chrono::milliseconds lease_ttl{3'000};
};

// `options.store` must be a postgresql:// URL. `on_listening` is called once, when the port is
// first bound (as a standby), with the port and the shared identity. Returns at SIGTERM/SIGINT.
Status run_with_leadership(ServiceOptions options, const LeadershipOptions& leadership,
                           const std::function<void(std::uint16_t port, const Identity& identity)>& on_listening);

}  // namespace twofold::gms
