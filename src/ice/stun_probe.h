// "Which address do you appear from?" asked of several STUN servers from one UDP socket, with
// libnice's STUN binding usage (RFC 5389). The NAT lab uses it to check that its "cone" router
// maps one socket to one outside port whatever the destination (endpoint-independent mapping),
// and its "symmetric" router to a new port per destination.
#pragma once

#include <chrono>
#include <vector>

#include "core/result.h"
#include "ice/agent.h"

namespace twofold::ice {

// The mapped address each server reports, in order (Endpoint::kind is server_reflexive).
// Servers are numeric IPv4 addresses. Fails naming the server that did not answer in time.
Result<std::vector<Endpoint>> stun_mapped_addresses(const std::vector<ServerAddress>& servers,
                                                    std::chrono::milliseconds timeout_each);

}  // namespace twofold::ice
