// The LAN lab's probe, run inside the lab's namespaces (never outside):
//   multicast_probe send    GROUP PORT IFACE TTL TEXT        sends TEXT once
//   multicast_probe recv    GROUP PORT IFACE TIMEOUT_MS      prints the first datagram, or exits 1
//   multicast_probe capture GROUP PORT IFACE TIMEOUT_MS      the same, as hex
//   multicast_probe inject  GROUP PORT IFACE HEX             sends the bytes HEX once
//   multicast_probe address GROUP_ID_HEX [RANGE]             a group's session address
//   multicast_probe forge   GROUP_ID_HEX EPOCH               hex of a rekey datagram signed by a
//                                                            key that is not the GMS's
//   multicast_probe regroup HEX GROUP_ID_HEX                 hex of that datagram claiming
//                                                            another group (the rekey unchanged)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "crypto/hex.h"
#include "lan/session.h"
#include "net/multicast_socket.h"
#include "twofold/v1/lan.pb.h"
#include "wire/signed_rekey.h"

namespace {

using namespace twofold;

int fail(const std::string& what) {
    std::fprintf(stderr, "%s\n", what.c_str());
    return 1;
}

std::string hex(const std::string& bytes) { return crypto::to_hex(as_bytes(bytes)); }

Result<std::string> unhex(const std::string& text) {
    auto bytes = crypto::from_hex(text, "hex");
    if (!bytes) return bytes.error();
    return std::string(bytes->begin(), bytes->end());
}

net::MulticastOptions options(char** argv) {
    net::MulticastOptions o;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (std::sscanf(argv[2], "%u.%u.%u.%u", &a, &b, &c, &d) != 4) std::exit(2);
    o.group = (a << 24) | (b << 16) | (c << 8) | d;
    o.port = static_cast<std::uint16_t>(std::atoi(argv[3]));
    o.interface_name = argv[4];
    return o;
}

int send_bytes(net::MulticastOptions o, const std::string& bytes) {
    o.ttl = 1;
    auto s = net::MulticastSocket::open(o);
    if (!s) return fail(s.error().message);
    if (auto sent = (*s)->send(as_bytes(bytes)); !sent) return fail(sent.error().message);
    return 0;
}

int receive(net::MulticastOptions o, int timeout_ms, bool as_hex) {
    o.join = true;
    auto s = net::MulticastSocket::open(o);
    if (!s) return fail(s.error().message);
    auto got = (*s)->receive(std::chrono::milliseconds(timeout_ms));
    if (!got) return fail(got.error().message);
    const std::string bytes(got->begin(), got->end());
    std::printf("%s\n", as_hex ? hex(bytes).c_str() : bytes.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    const std::string mode = argv[1];
    if (mode == "send" && argc == 7) {
        auto o = options(argv);
        o.ttl = static_cast<std::uint8_t>(std::atoi(argv[5]));
        auto s = net::MulticastSocket::open(o);
        if (!s) return fail(s.error().message);
        if (auto sent = (*s)->send(as_bytes(std::string(argv[6]))); !sent) return fail(sent.error().message);
        return 0;
    }
    if ((mode == "recv" || mode == "capture") && argc == 6) return receive(options(argv), std::atoi(argv[5]), mode == "capture");
    if (mode == "inject" && argc == 6) {
        auto bytes = unhex(argv[5]);
        if (!bytes) return fail(bytes.error().message);
        return send_bytes(options(argv), *bytes);
    }
    if (mode == "address" && (argc == 3 || argc == 4)) {
        auto id = unhex(argv[2]);
        auto range = lan::parse_range(argc == 4 ? argv[3] : lan::kDefaultRange);
        if (!id || !range) return 2;
        std::printf("%s\n", lan::format_address(lan::group_address(*range, *id)).c_str());
        return 0;
    }
    if (mode == "forge" && argc == 4) {
        auto id = unhex(argv[2]);
        if (!id) return fail(id.error().message);
        v1::Rekey rekey;
        rekey.set_group_id(*id);
        rekey.set_epoch(std::strtoull(argv[3], nullptr, 10));
        rekey.set_membership_epoch(1);
        rekey.set_lkh_message(std::string(40, 'x'));
        const auto impostor = crypto::SigningKey::generate();
        v1::LanDatagram datagram;
        datagram.set_group_id(*id);
        datagram.set_signed_rekey(wire::sign_rekey(rekey, impostor).SerializeAsString());
        std::printf("%s\n", hex(datagram.SerializeAsString()).c_str());
        return 0;
    }
    if (mode == "regroup" && argc == 4) {
        auto bytes = unhex(argv[2]);
        auto id = unhex(argv[3]);
        v1::LanDatagram datagram;
        if (!bytes || !id || !datagram.ParseFromString(*bytes)) return fail("not a datagram");
        datagram.set_group_id(*id);
        std::printf("%s\n", hex(datagram.SerializeAsString()).c_str());
        return 0;
    }
    std::fprintf(stderr, "usage: see the comment at the top of multicast_probe.cpp\n");
    return 2;
}
