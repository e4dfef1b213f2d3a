// The LAN lab's probe of net::MulticastSocket, run inside the lab's namespaces:
//   multicast_probe send GROUP PORT IFACE TTL TEXT     sends TEXT once
//   multicast_probe recv GROUP PORT IFACE TIMEOUT_MS   prints the first datagram, or exits 1
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lan/session.h"
#include "net/multicast_socket.h"

int main(int argc, char** argv) {
    using namespace twofold;
    if (argc != 7 && argc != 6) {
        std::fprintf(stderr, "usage: multicast_probe send|recv GROUP PORT IFACE TTL|TIMEOUT_MS [TEXT]\n");
        return 2;
    }
    const std::string mode = argv[1];
    net::MulticastOptions o;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (std::sscanf(argv[2], "%u.%u.%u.%u", &a, &b, &c, &d) != 4) return 2;
    o.group = (a << 24) | (b << 16) | (c << 8) | d;
    o.port = static_cast<std::uint16_t>(std::atoi(argv[3]));
    o.interface_name = argv[4];
    if (mode == "send") {
        if (argc != 7) return 2;
        o.ttl = static_cast<std::uint8_t>(std::atoi(argv[5]));
        auto s = net::MulticastSocket::open(o);
        if (!s) { std::fprintf(stderr, "%s\n", s.error().message.c_str()); return 1; }
        const std::string text = argv[6];
        auto sent = (*s)->send(as_bytes(text));
        if (!sent) { std::fprintf(stderr, "%s\n", sent.error().message.c_str()); return 1; }
        return 0;
    }
    o.join = true;
    auto s = net::MulticastSocket::open(o);
    if (!s) { std::fprintf(stderr, "%s\n", s.error().message.c_str()); return 1; }
    auto got = (*s)->receive(std::chrono::milliseconds(std::atoi(argv[5])));
    if (!got) { std::fprintf(stderr, "%s\n", got.error().message.c_str()); return 1; }
    std::printf("%.*s\n", static_cast<int>(got->size()), reinterpret_cast<const char*>(got->data()));
    return 0;
}
