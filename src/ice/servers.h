// The ICE agent's servers from what the GMS's login answer says (v1::TurnCredentials, passed in
// as plain strings so this layer needs no protobuf). Checked before libnice sees them.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "ice/agent.h"

namespace twofold::ice {

inline constexpr std::size_t max_turn_credential_length = 256;

// turn_servers: "host:port" each (the first is used); stun_server: "host:port" or empty.
Result<Servers> servers_from(const std::vector<std::string>& turn_servers, const std::string& stun_server,
                             const std::string& username, const std::string& password);

// "host:port" or "[v6]:port", port 1..65535.
Result<ServerAddress> parse_server_address(const std::string& text, const char* what);

}  // namespace twofold::ice
