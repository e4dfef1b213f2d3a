#include "relay_server/service.h"

#include <spdlog/spdlog.h>

#include <unordered_map>

#include "crypto/random.h"
#include "net/tls_identity.h"
#include "net/tls_server.h"
#include "relay_store/sqlite_store.h"

namespace twofold::relay {

namespace {

// Room in a frame around the payload: the envelope's other fields and a membership statement.
constexpr std::size_t kFrameOverheadBytes = 16 * kKiB;
// Deliveries are windowed (Config::delivery_window_bytes), so a connection's queue stays far
// below this; it only catches a client that never reads its answers.
constexpr std::size_t kQueueFramesPerConnection = 8;

// Before authentication the core answers a connection only with errors, or with the Ok that
// accepts its AuthResponse: an Ok in `out` for `conn` means the peer has authenticated.
bool accepted_auth(const std::vector<Outgoing>& out, ConnId conn) {
    for (const Outgoing& o : out) {
        if (o.to != conn) continue;
        v1::RelayResponse answer;
        if (answer.ParseFromString(*o.payload) && answer.has_ok()) return true;
    }
    return false;
}

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

}  // namespace

struct detail::ServiceState {
    ServiceOptions options;
    net::TlsIdentity tls;
    std::unique_ptr<SqliteStore> store;
    RelayCore core;
    std::unordered_map<ConnId, net::Connection*> connections;
    std::vector<Outgoing> out;
    bool flush_due = false;
    std::chrono::steady_clock::time_point last_commit{};
    std::unique_ptr<net::TlsServer> server;  // last: destroyed first, while its sessions' targets live

    ServiceState(ServiceOptions o, net::TlsIdentity t, std::unique_ptr<SqliteStore> s)
        : options(std::move(o)),
          tls(std::move(t)),
          store(std::move(s)),
          core(options.core, options.gms_key, tls.fingerprint, *store) {}

    void send_out() {
        for (const Outgoing& o : out) {
            const auto it = connections.find(o.to);
            if (it != connections.end()) (void)it->second->send(as_bytes(*o.payload));
        }
        out.clear();
    }

    // Group commit, paced: a batch that ends within commit_interval of the last commit waits
    // for the next tick, so a pipelining sender's envelopes gather into one fsync instead of
    // one fsync each (without this, acknowledgement and next publish fall into lock-step).
    void batch_ended() {
        if (std::chrono::steady_clock::now() - last_commit >= options.commit_interval) {
            flush();
        } else {
            flush_due = true;
        }
    }

    void tick() {
        if (flush_due) flush();
    }

    void flush() {
        flush_due = false;
        const Status committed = core.end_batch(now_ms(), out);
        // Measured from the commit's end: TLS hands over one record per read, so without the
        // pause every frame would arrive just after the previous fsync and get its own.
        last_commit = std::chrono::steady_clock::now();
        if (const Status& s = committed; !s) {
            // Memory and disk may disagree: nothing more may be acknowledged. Stop; a restart
            // serves what was committed, which is everything anyone was told was accepted.
            spdlog::critical("commit failed, stopping: {}", s.error().message);
            out.clear();
            server->stop();
            return;
        }
        send_out();
    }

    void sweep() {
        if (auto s = core.sweep(now_ms()); !s) spdlog::error("expiry sweep failed: {}", s.error().message);
    }
};

namespace {

class RelaySession final : public net::Session {
  public:
    RelaySession(detail::ServiceState& state, net::Connection& conn) : state_(state), conn_(conn) {
        state_.connections.emplace(conn.id(), &conn);
        state_.core.connected(conn.id(), crypto::random_array<kChallengeBytes>(), state_.out);
        state_.send_out();
        spdlog::debug("connection {} from {}", conn.id(), conn.peer());
    }

    void on_frame(ByteView payload) override {
        state_.core.handle(conn_.id(), payload, now_ms(), state_.out);
        if (!authenticated_ && accepted_auth(state_.out, conn_.id())) {
            authenticated_ = true;
            conn_.set_authenticated();
        }
        state_.send_out();  // refusals now; the rest after the batch's commit
    }

    void on_frame_error(const Error& error) override {
        spdlog::info("connection {} broke framing: {}", conn_.id(), error.message);
        state_.core.frame_error(conn_.id(), error, state_.out);
        state_.send_out();
    }

    void on_close(const std::string& reason) override {
        spdlog::debug("connection {} closed: {}", conn_.id(), reason);
        state_.core.disconnected(conn_.id());
        state_.connections.erase(conn_.id());
    }

  private:
    detail::ServiceState& state_;
    net::Connection& conn_;
    bool authenticated_ = false;
};

}  // namespace

Service::Service(std::unique_ptr<detail::ServiceState> state) : state_(std::move(state)) {}
Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::open(ServiceOptions options) {
    std::error_code ec;
    std::filesystem::create_directories(options.data_dir, ec);
    if (ec) return make_error(Errc::unavailable, "cannot create " + options.data_dir.string() + ": " + ec.message());
    std::filesystem::permissions(options.data_dir, std::filesystem::perms::owner_all, ec);
    auto tls = net::load_or_create_tls_identity(options.data_dir, "twofold-relay");
    if (!tls) return tls.error();
    auto store = SqliteStore::open(options.data_dir / "relay.db");
    if (!store) return store.error();

    auto state = std::make_unique<detail::ServiceState>(options, std::move(*tls), std::move(*store));
    if (auto s = state->core.load(); !s) return s.error();

    net::ServerOptions server_options;
    server_options.listen = options.listen;
    server_options.identity = state->tls;
    server_options.max_connections = options.max_connections;
    server_options.max_connections_per_address = options.max_connections_per_address;
    server_options.idle_timeout = options.idle_timeout;
    server_options.frame_timeout = options.frame_timeout;
    server_options.auth_timeout = options.auth_timeout;
    server_options.max_frame_bytes = options.core.max_envelope_bytes + kFrameOverheadBytes;
    server_options.max_queued_bytes =
        std::max<std::size_t>(kQueueFramesPerConnection * server_options.max_frame_bytes,
                              2 * options.core.delivery_window_bytes + server_options.max_frame_bytes);
    detail::ServiceState* s = state.get();
    s->server = std::make_unique<net::TlsServer>(
        server_options, [s](net::Connection& conn) { return std::make_unique<RelaySession>(*s, conn); });
    s->server->after_batch([s] { s->batch_ended(); });
    s->server->every(options.commit_interval, [s] { s->tick(); });
    s->server->every(options.sweep_period, [s] { s->sweep(); });
    s->server->on_stop([s] { s->flush(); });
    return std::unique_ptr<Service>(new Service(std::move(state)));
}

Status Service::bind() { return state_->server->bind(); }
std::uint16_t Service::bound_port() const { return state_->server->bound_port(); }
const std::string& Service::tls_fingerprint() const { return state_->tls.fingerprint; }
Status Service::run() { return state_->server->run(); }
void Service::stop() { state_->server->stop(); }

}  // namespace twofold::relay
