// The GMS's IP multicast path for rekeys (twofold-gms --multicast-interface): each signed rekey,
// once its batch has committed, also goes as one datagram to its group's session on the LAN
// (docs/rekey-delivery.md). Best effort by design: a datagram lost, or one that does not fit, is
// made up by the relay's copy, the GMS's push and the members' RN2 inquiry.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "lan/session.h"
#include "net/multicast_socket.h"

namespace twofold::gms {

class LanPublisher {
  public:
    static Result<std::unique_ptr<LanPublisher>> open(const std::string& interface_name, const lan::SessionPlan& plan);

    // `signed_rekey`: an encoded v1::SignedRekey, the bytes every path carries.
    void publish(ByteView signed_rekey);

    std::uint64_t sent() const noexcept { return sent_; }

  private:
    LanPublisher(std::unique_ptr<net::MulticastSocket> socket, lan::SessionPlan plan)
        : socket_(std::move(socket)), plan_(plan) {}

    std::unique_ptr<net::MulticastSocket> socket_;
    lan::SessionPlan plan_;
    std::uint64_t sent_ = 0;
};

}  // namespace twofold::gms
