#include "ice/stun_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include <stun/stunagent.h>
#include <stun/usages/bind.h>

namespace twofold::ice {
namespace {

struct Socket {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ~Socket() {
        if (fd >= 0) ::close(fd);
    }
};

const uint16_t known_attributes[] = {STUN_ATTRIBUTE_MAPPED_ADDRESS, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, 0};

Result<Endpoint> ask(int fd, const ServerAddress& server, std::chrono::milliseconds timeout) {
    const std::string name = server.host + ":" + std::to_string(server.port);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(server.port);
    if (::inet_pton(AF_INET, server.host.c_str(), &to.sin_addr) != 1) {
        return make_error(Errc::invalid_argument, "STUN probe: " + name + " is not an IPv4 address");
    }
    StunAgent agent;
    stun_agent_init(&agent, known_attributes, STUN_COMPATIBILITY_RFC5389, STUN_AGENT_USAGE_USE_FINGERPRINT);
    StunMessage request;
    std::array<uint8_t, STUN_MAX_MESSAGE_SIZE> out{};
    const size_t len = stun_usage_bind_create(&agent, &request, out.data(), out.size());
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // Resend every 200 ms (RFC 5389 §7.2.1 starts at 500 ms; a lab answers at once).
    for (;;) {
        ::sendto(fd, out.data(), len, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 200) > 0) {
            std::array<uint8_t, STUN_MAX_MESSAGE_SIZE> in{};
            const ssize_t n = ::recv(fd, in.data(), in.size(), 0);
            StunMessage response;
            if (n > 0 && stun_agent_validate(&agent, &response, in.data(), static_cast<size_t>(n), nullptr, nullptr) ==
                             STUN_VALIDATION_SUCCESS) {
                sockaddr_storage mapped{};
                socklen_t mapped_len = sizeof mapped;
                sockaddr_storage alternate{};
                socklen_t alternate_len = sizeof alternate;
                if (stun_usage_bind_process(&response, reinterpret_cast<sockaddr*>(&mapped), &mapped_len,
                                            reinterpret_cast<sockaddr*>(&alternate), &alternate_len) ==
                        STUN_USAGE_BIND_RETURN_SUCCESS &&
                    mapped.ss_family == AF_INET) {
                    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&mapped);
                    std::array<char, INET_ADDRSTRLEN> text{};
                    ::inet_ntop(AF_INET, &v4->sin_addr, text.data(), text.size());
                    return Endpoint{CandidateKind::server_reflexive, text.data(), ntohs(v4->sin_port)};
                }
            }
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return make_error(Errc::timeout, "STUN probe: no binding answer from " + name);
        }
    }
}

}  // namespace

Result<std::vector<Endpoint>> stun_mapped_addresses(const std::vector<ServerAddress>& servers,
                                                    std::chrono::milliseconds timeout_each) {
    Socket socket;
    if (socket.fd < 0) return make_error(Errc::internal, "STUN probe: no UDP socket");
    sockaddr_in any{};
    any.sin_family = AF_INET;
    if (::bind(socket.fd, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) {
        return make_error(Errc::internal, "STUN probe: cannot bind a UDP socket");
    }
    std::vector<Endpoint> mapped;
    for (const auto& server : servers) {
        auto one = ask(socket.fd, server, timeout_each);
        if (!one) return one.error();
        mapped.push_back(*one);
    }
    return mapped;
}

}  // namespace twofold::ice
