#include "net/multicast_socket.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>

#include <optional>

#include <asio.hpp>

namespace twofold::net {

struct MulticastSocket::State {
    asio::io_context io;
    asio::ip::udp::socket socket{io};
    asio::ip::udp::endpoint group;
    Bytes buffer = Bytes(kMaxDatagramBytes);
};

MulticastSocket::MulticastSocket(std::unique_ptr<State> state) : state_(std::move(state)) {}
MulticastSocket::~MulticastSocket() = default;

Result<std::uint32_t> interface_ipv4(const std::string& name) {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return make_error(Errc::unavailable, "cannot list network interfaces");
    std::optional<std::uint32_t> found;
    for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET || name != i->ifa_name) continue;
        found = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
    }
    ::freeifaddrs(list);
    if (!found) return make_error(Errc::unknown, "interface " + name + " has no IPv4 address");
    return *found;
}

Result<std::unique_ptr<MulticastSocket>> MulticastSocket::open(const MulticastOptions& o) {
    if ((o.group >> 28) != 0xe) return make_error(Errc::invalid_argument, "not an IPv4 multicast address");
    if (o.port == 0) return make_error(Errc::invalid_argument, "multicast port must not be 0");
    asio::ip::address_v4 interface_address = asio::ip::address_v4::any();
    if (!o.interface_name.empty()) {
        auto a = interface_ipv4(o.interface_name);
        if (!a) return a.error();
        interface_address = asio::ip::address_v4(*a);
    }
    auto state = std::make_unique<State>();
    const asio::ip::address_v4 group(o.group);
    state->group = asio::ip::udp::endpoint(group, o.port);
    asio::error_code ec;
    auto& s = state->socket;
    s.open(asio::ip::udp::v4(), ec);
    if (!ec) s.set_option(asio::ip::udp::socket::reuse_address(true), ec);  // several members on one host
    if (!ec) s.set_option(asio::ip::multicast::hops(o.ttl), ec);
    if (!ec) s.set_option(asio::ip::multicast::enable_loopback(true), ec);  // members on the sender's host
    if (!ec && !o.interface_name.empty()) s.set_option(asio::ip::multicast::outbound_interface(interface_address), ec);
    if (ec) return make_error(Errc::unavailable, "multicast socket: " + ec.message());
    if (o.join) {
        // Bound to the group address, so datagrams to the other groups on the port stay out.
        s.bind(state->group, ec);
        if (!ec) s.set_option(asio::ip::multicast::join_group(group, interface_address), ec);
        if (ec) {
            return make_error(Errc::unavailable, "cannot join multicast group " + group.to_string() + ":" +
                                                     std::to_string(o.port) + ": " + ec.message());
        }
    }
    s.non_blocking(true, ec);
    if (ec) return make_error(Errc::unavailable, "multicast socket: " + ec.message());
    return std::unique_ptr<MulticastSocket>(new MulticastSocket(std::move(state)));
}

Status MulticastSocket::send(ByteView datagram) {
    return send_to(state_->group.address().to_v4().to_uint(), state_->group.port(), datagram);
}

Status MulticastSocket::send_to(std::uint32_t group_address, std::uint16_t port, ByteView datagram) {
    const asio::ip::udp::endpoint group(asio::ip::address_v4(group_address), port);
    if (datagram.size() > kMaxDatagramBytes) {
        return make_error(Errc::too_large, "datagram of " + std::to_string(datagram.size()) + " bytes exceeds " +
                                               std::to_string(kMaxDatagramBytes));
    }
    asio::error_code ec;
    state_->socket.send_to(asio::buffer(datagram.data(), datagram.size()), group, 0, ec);
    if (ec == asio::error::would_block) {  // the send buffer is full: wait for room once
        pollfd p{state_->socket.native_handle(), POLLOUT, 0};
        if (::poll(&p, 1, 1000) == 1) state_->socket.send_to(asio::buffer(datagram.data(), datagram.size()), group, 0, ec);
    }
    if (ec) return make_error(Errc::unavailable, "multicast send to " + group.address().to_string() + ": " + ec.message());
    return {};
}

Result<Bytes> MulticastSocket::receive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        asio::error_code ec;
        asio::ip::udp::endpoint from;
        const std::size_t n = state_->socket.receive_from(asio::buffer(state_->buffer), from, 0, ec);
        if (!ec) return Bytes(state_->buffer.begin(), state_->buffer.begin() + static_cast<std::ptrdiff_t>(n));
        if (ec != asio::error::would_block) return make_error(Errc::unavailable, "multicast receive: " + ec.message());
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return make_error(Errc::timeout, "no datagram");
        pollfd p{state_->socket.native_handle(), POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(left.count()));
    }
}

}  // namespace twofold::net
