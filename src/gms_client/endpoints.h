// The GMS processes a member may reach (issue 15): `--gms host1:7400,host2:7400` with one TLS
// fingerprint each (`--gms-fingerprint fp1,fp2`) or one shared by all (processes on one database
// share one identity, gms_pg/shared_identity.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "net/endpoint.h"

namespace twofold::gms {

struct GmsEndpoint {
    net::Endpoint endpoint;
    std::string fingerprint;  // "sha256:HEX", as given
};

// Comma-separated HOST:PORT list and fingerprints: as many as endpoints, or one for all.
Result<std::vector<GmsEndpoint>> parse_gms_endpoints(std::string_view endpoints, std::string_view fingerprints);

// The fingerprint to pin for `address` (a standby's "try HOST:PORT"): the one it was given with,
// or the one all share; empty if neither (a leader the member was never told about).
std::string fingerprint_for(const std::vector<GmsEndpoint>& known, const net::Endpoint& address);

}  // namespace twofold::gms
