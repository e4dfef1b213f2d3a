// HOST:PORT as the command lines take it ("127.0.0.1:7400", "[::1]:7400", "localhost:7400").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace twofold::net {

struct Endpoint {
    std::string host;
    std::uint16_t port = 0;

    std::string to_string() const;
};

// `what` names the argument in the error ("--listen").
Result<Endpoint> parse_endpoint(std::string_view text, std::string_view what);

}  // namespace twofold::net
