#include "gms_server/standby.h"

#include <spdlog/spdlog.h>

#include "twofold/v1/gms.pb.h"

namespace twofold::gms {

namespace {

class NotLeaderSession final : public net::Session {
  public:
    NotLeaderSession(net::Connection& conn, std::function<std::string()> leader)
        : conn_(conn), leader_(std::move(leader)) {}

    void on_frame(ByteView payload) override {
        v1::GmsRequest request;
        const bool parsed = request.ParseFromArray(payload.data(), static_cast<int>(payload.size()));
        answer(parsed ? request.request_id() : 0);
    }
    void on_frame_error(const Error&) override { answer(0); }
    void on_close(const std::string& reason) override { spdlog::debug("standby: {} closed: {}", conn_.peer(), reason); }

  private:
    void answer(std::uint64_t request_id) {
        const std::string leader = leader_();
        v1::GmsResponse r;
        r.set_request_id(request_id);
        r.set_leader(leader);
        r.mutable_error()->set_code(v1::ERROR_CODE_NOT_LEADER);
        r.mutable_error()->set_message(leader.empty() ? "not the leader, and none leads at the moment: try again shortly"
                                                      : "not the leader, try " + leader);
        const std::string bytes = r.SerializeAsString();
        (void)conn_.send(as_bytes(bytes));
    }

    net::Connection& conn_;
    std::function<std::string()> leader_;
};

}  // namespace

Standby::Standby(net::ServerOptions options) {
    server_ = std::make_unique<net::TlsServer>(std::move(options), [this](net::Connection& conn) {
        return std::make_unique<NotLeaderSession>(conn, [this] { return leader(); });
    });
}
Standby::~Standby() = default;

Status Standby::bind() { return server_->bind(); }
std::uint16_t Standby::bound_port() const { return server_->bound_port(); }
Status Standby::run() { return server_->run(); }
void Standby::stop() { server_->stop(); }

void Standby::set_leader(const std::string& advertise) {
    const std::lock_guard lock(mutex_);
    leader_ = advertise;
}

std::string Standby::leader() const {
    const std::lock_guard lock(mutex_);
    return leader_;
}

}  // namespace twofold::gms
