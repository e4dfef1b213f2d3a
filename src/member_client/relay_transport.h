// twofold-relay as the member's transport: relay::RelayClient, with each envelope acknowledged
// after the handler returned, as the member always did.
#pragma once

#include "member_client/transport.h"
#include "relay_client/client.h"

namespace twofold::member_client {

class RelayTransport final : public Transport {
  public:
    explicit RelayTransport(std::unique_ptr<relay::RelayClient> client) : client_(std::move(client)) {}

    Result<std::uint64_t> subscribe(ByteView group_id, const v1::MembershipStatement& statement) override {
        return client_->subscribe(group_id, statement);
    }
    Result<std::uint64_t> publish(ByteView group_id, const v1::MembershipStatement& statement, v1::EnvelopeType type,
                                  ByteView payload) override {
        return client_->publish(group_id, statement, type, payload);
    }
    Result<std::uint64_t> send(ByteView recipient_key, v1::EnvelopeType type, ByteView payload) override {
        return client_->send(recipient_key, type, payload);
    }
    Status receive(std::chrono::milliseconds timeout) override;
    bool ids_increase() const override { return true; }

  private:
    std::unique_ptr<relay::RelayClient> client_;
};

}  // namespace twofold::member_client
