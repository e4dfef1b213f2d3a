#include "net/endpoint.h"

#include <charconv>

namespace twofold::net {

std::string Endpoint::to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Endpoint> parse_endpoint(std::string_view text, std::string_view what) {
    const auto bad = [&](const std::string& why) {
        return make_error(Errc::invalid_argument, std::string(what) + ": " + why + " (expected HOST:PORT)");
    };
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no port");
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) return bad("no host");
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port_text.empty() || port > 65535) {
        return bad("port is not a number from 0 to 65535");
    }
    return Endpoint{std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace twofold::net
