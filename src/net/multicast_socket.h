// One IPv4 multicast group on one interface: send datagrams to it, and (when asked) receive
// what is sent to it. Used for rekeys and LAN group messages (docs/rekey-delivery.md); every
// datagram is verified by its receiver, so this layer trusts nothing it receives.
//
// Only inside a network the operator chose (the GMS's --multicast-interface, a member's --lan):
// nothing here sends or joins anything unless a caller opens a socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "crypto/bytes.h"

namespace twofold::net {

// The largest UDP payload over IPv4; a rekey that does not fit goes by the other paths only.
inline constexpr std::size_t kMaxDatagramBytes = 65'507;

struct MulticastOptions {
    std::uint32_t group = 0;  // host order, 224.0.0.0/4
    std::uint16_t port = 0;
    std::string interface_name;  // empty: the interface the kernel's routes choose
    std::uint8_t ttl = 1;
    bool join = false;  // receive what is sent to the group, not only send to it
};

class MulticastSocket {
  public:
    static Result<std::unique_ptr<MulticastSocket>> open(const MulticastOptions& options);

    Status send(ByteView datagram);  // to the socket's group
    // To another group on the same interface with the same TTL (the GMS's one socket for all).
    Status send_to(std::uint32_t group, std::uint16_t port, ByteView datagram);
    // The next datagram sent to the group, from anyone (the caller verifies it): timeout if none.
    Result<Bytes> receive(std::chrono::milliseconds timeout);

    MulticastSocket(const MulticastSocket&) = delete;
    MulticastSocket& operator=(const MulticastSocket&) = delete;
    ~MulticastSocket();

  private:
    struct State;
    explicit MulticastSocket(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

// The IPv4 address of a named interface ("br0"), for binding and joining on it.
Result<std::uint32_t> interface_ipv4(const std::string& name);

}  // namespace twofold::net
