#include "gms_server/lan_publisher.h"

#include <spdlog/spdlog.h>

#include "twofold/v1/gms.pb.h"
#include "twofold/v1/lan.pb.h"
#include "wire/message.h"

namespace twofold::gms {

Result<std::unique_ptr<LanPublisher>> LanPublisher::open(const std::string& interface_name,
                                                         const lan::SessionPlan& plan) {
    net::MulticastOptions o;
    // The socket's own group is never sent to: publish() names each group's address.
    o.group = lan::group_address(plan.range, std::string(16, '\0'));
    o.port = plan.port;
    o.interface_name = interface_name;
    o.ttl = static_cast<std::uint8_t>(plan.scope);
    auto socket = net::MulticastSocket::open(o);
    if (!socket) return make_error(socket.error().code, "--multicast-interface " + interface_name + ": " + socket.error().message);
    spdlog::info("rekeys also go by IP multicast on {}: {}/{} port {}, scope {} (TTL {})", interface_name,
                 lan::format_address(plan.range.base), plan.range.prefix_length, plan.port,
                 lan::scope_name(plan.scope), static_cast<int>(plan.scope));
    return std::unique_ptr<LanPublisher>(new LanPublisher(std::move(*socket), plan));
}

void LanPublisher::publish(ByteView signed_rekey) {
    // Only the group id is read: the bytes go out as the core signed them.
    auto parsed = wire::parse_message<v1::SignedRekey>(signed_rekey);
    if (!parsed) return spdlog::error("multicast: a publication does not parse: {}", parsed.error().message);
    const std::string& group_id = parsed->rekey().group_id();
    v1::LanDatagram datagram;
    datagram.set_group_id(group_id);
    datagram.set_signed_rekey(std::string(reinterpret_cast<const char*>(signed_rekey.data()), signed_rekey.size()));
    const std::string bytes = datagram.SerializeAsString();
    const std::uint32_t address = lan::group_address(plan_.range, group_id);
    if (auto s = socket_->send_to(address, plan_.port, as_bytes(bytes)); !s) {
        spdlog::warn("multicast: rekey epoch {} not sent to {}: {}", parsed->rekey().epoch(),
                     lan::format_address(address), s.error().message);
        return;
    }
    ++sent_;
    spdlog::debug("multicast: rekey epoch {} sent to {} ({} bytes)", parsed->rekey().epoch(),
                  lan::format_address(address), bytes.size());
}

}  // namespace twofold::gms
