#include "member_client/relay_transport.h"

namespace twofold::member_client {

Status RelayTransport::receive(std::chrono::milliseconds timeout) {
    auto envelope = client_->receive(timeout);
    if (!envelope) return envelope.error();
    if (auto s = handler_(*envelope); !s) return s;
    const std::uint64_t id = envelope->id();
    return client_->ack(std::span<const std::uint64_t>(&id, 1));
}

}  // namespace twofold::member_client
