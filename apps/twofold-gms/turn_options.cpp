#include "turn_options.h"

#include <fstream>

#include "crypto/secret.h"
#include "net/endpoint.h"

namespace twofold::apps {

Result<gms::TurnConfig> load_turn_config(const std::string& secret_file, const std::vector<std::string>& turn_servers,
                                         const std::string& stun_server, std::uint64_t ttl_seconds) {
    if (turn_servers.empty()) return make_error(Errc::invalid_argument, "--turn-secret-file needs --turn-server HOST:PORT");
    for (const auto& server : turn_servers) {
        if (auto e = net::parse_endpoint(server, "--turn-server"); !e) return e.error();
    }
    if (!stun_server.empty()) {
        if (auto e = net::parse_endpoint(stun_server, "--stun-server"); !e) return e.error();
    }
    if (ttl_seconds == 0) return make_error(Errc::invalid_argument, "--turn-ttl must be at least 1 second");
    std::ifstream in(secret_file);
    if (!in) return make_error(Errc::invalid_argument, "cannot read " + secret_file + " (--turn-secret-file)");
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return make_error(Errc::invalid_argument, secret_file + " is empty (--turn-secret-file)");
    auto secret = std::make_shared<crypto::SecretBuffer>(crypto::SecretBuffer::copy_of(as_bytes(line)));
    crypto::wipe(as_writable_bytes(line));
    // coturn answers STUN on its TURN port: without --stun-server, members use the first.
    return gms::TurnConfig{std::move(secret), turn_servers, stun_server.empty() ? turn_servers.front() : stun_server,
                           ttl_seconds};
}

}  // namespace twofold::apps
