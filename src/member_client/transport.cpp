#include "member_client/transport.h"

#include "member_client/mqtt_transport.h"
#include "member_client/relay_transport.h"
#include "net/endpoint.h"

namespace twofold::member_client {

Result<std::unique_ptr<Transport>> connect_transport(const v1::MemberConfig& config,
                                                     const crypto::SigningKey& identity) {
    if (config.relay_transport() == v1::MemberConfig::RELAY_TRANSPORT_MQTT) {
        MqttOptions o;
        o.host = config.relay_host();
        o.port = static_cast<std::uint16_t>(config.relay_port());
        o.fingerprint = config.relay_fingerprint();
        o.broker_name = config.relay_broker_name();
        auto t = MqttTransport::connect(o, identity);
        if (!t) return t.error();
        return std::unique_ptr<Transport>(std::move(*t));
    }
    auto client = relay::RelayClient::connect(
        net::Endpoint{config.relay_host(), static_cast<std::uint16_t>(config.relay_port())}, config.relay_fingerprint(),
        identity);
    if (!client) return client.error();
    return std::unique_ptr<Transport>(std::make_unique<RelayTransport>(std::move(*client)));
}

}  // namespace twofold::member_client
