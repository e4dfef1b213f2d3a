// --turn-secret-file, --turn-server, --stun-server: coturn's shared secret and addresses, so the
// GMS hands each logged-in member short-lived TURN credentials (docs/direct-route.md).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "gms/core.h"

namespace twofold::apps {

// The secret is the file's first line (without its line end), as scripts/lib/coturn.sh copies it
// into coturn's static-auth-secret. Errors name the file, never its content.
Result<gms::TurnConfig> load_turn_config(const std::string& secret_file, const std::vector<std::string>& turn_servers,
                                         const std::string& stun_server, std::uint64_t ttl_seconds);

}  // namespace twofold::apps
