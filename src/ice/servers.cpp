#include "ice/servers.h"

#include <charconv>

namespace twofold::ice {

Result<ServerAddress> parse_server_address(const std::string& text, const char* what) {
    const auto bad = [&](const char* why) {
        return make_error(Errc::malformed, std::string(what) + " address: " + why + " (want HOST:PORT)");
    };
    if (text.size() > max_turn_credential_length) return make_error(Errc::too_large, std::string(what) + " address too long");
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return bad("no host or no port");
    std::string host = text.substr(0, colon);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') return bad("unclosed [");
        host = host.substr(1, host.size() - 2);
    }
    unsigned port = 0;
    const char* first = text.data() + colon + 1;
    const char* last = text.data() + text.size();
    auto [end, ec] = std::from_chars(first, last, port);
    if (ec != std::errc() || end != last || port == 0 || port > 65535) return bad("port not in 1..65535");
    return ServerAddress{host, static_cast<std::uint16_t>(port)};
}

Result<Servers> servers_from(const std::vector<std::string>& turn_servers, const std::string& stun_server,
                             const std::string& username, const std::string& password) {
    Servers servers;
    if (!stun_server.empty()) {
        auto stun = parse_server_address(stun_server, "STUN server");
        if (!stun) return stun.error();
        servers.stun = *stun;
    }
    if (!turn_servers.empty()) {
        auto turn = parse_server_address(turn_servers.front(), "TURN server");
        if (!turn) return turn.error();
        if (username.empty() || password.empty()) {
            return make_error(Errc::malformed, "TURN credentials: empty username or password");
        }
        if (username.size() > max_turn_credential_length || password.size() > max_turn_credential_length) {
            return make_error(Errc::too_large, "TURN credentials longer than 256 bytes");
        }
        servers.turn = TurnServer{*turn, username, password};
    }
    return servers;
}

}  // namespace twofold::ice
