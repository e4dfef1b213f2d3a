// The twofold side of `twofold-bench relay`: a relay on loopback (in this process, its own
// thread, data on disk with fsync per batch) or a running one, driven over TLS by N + 1 member
// connections on one client thread (net::ClientPool).
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <thread>

#include "crypto/hex.h"
#include "net/client_pool.h"
#include "net/tls_identity.h"
#include "relay/auth.h"
#include "relay_bench.h"
#include "relay_server/service.h"
#include "wire/message.h"
#include "wire/statement.h"

namespace twofold::bench {

namespace {

constexpr std::size_t kGroupIdBytes = 16;
constexpr std::uint64_t kStatementSeconds = 3600;
constexpr std::uint64_t kAuthRequest = 1;
constexpr std::uint64_t kSubscribeRequest = 2;
constexpr std::size_t kAckEvery = 16;  // deliveries per acknowledgement frame
constexpr auto kConnectTimeout = std::chrono::seconds(30);
constexpr double kDrainSeconds = 30;  // after publishing stops, for the last deliveries

struct Member {
    crypto::SigningKey key = crypto::SigningKey::generate();
    v1::MembershipStatement statement;
    std::vector<std::uint64_t> unacked;
};

std::string encode(const v1::RelayRequest& r) { return r.SerializeAsString(); }

// A relay in this process for the length of the run; its directory is removed afterwards.
class LocalRelay {
  public:
    ~LocalRelay() {
        if (service_) {
            service_->stop();
            thread_.join();
        }
        std::error_code ec;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    }
    Status start(const crypto::SignPublicKey& gms_key, std::size_t window) {
        dir_ = std::filesystem::temp_directory_path() / ("twofold-bench-relay-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        relay::ServiceOptions o;
        o.data_dir = dir_;
        o.listen = net::Endpoint{"127.0.0.1", 0};
        o.gms_key = gms_key;
        o.core.sends_per_second = 1e9;  // the benchmark measures throughput, not the limiter
        o.core.send_burst = 1e9;
        o.core.delivery_window = window;
        // Every member connects from 127.0.0.1, and all connect before the first authenticates.
        o.max_connections_per_address = o.max_connections;
        o.auth_timeout = std::chrono::minutes(10);
        auto s = relay::Service::open(o);
        if (!s) return s.error();
        service_ = std::move(*s);
        if (auto b = service_->bind(); !b) return b;
        endpoint = net::Endpoint{"127.0.0.1", service_->bound_port()};
        fingerprint = service_->tls_fingerprint();
        thread_ = std::thread([this] { (void)service_->run(); });
        return {};
    }
    net::Endpoint endpoint;
    std::string fingerprint;

  private:
    std::filesystem::path dir_;
    std::unique_ptr<relay::Service> service_;
    std::thread thread_;
};

}  // namespace

Result<Measurement> run_twofold_relay(const RelayWorkload& w) {
    crypto::SigningKey gms = crypto::SigningKey::generate();
    if (!w.gms_seed_hex.empty()) {
        auto seed = crypto::from_hex(w.gms_seed_hex, "--gms-seed");
        if (!seed) return seed.error();
        auto k = crypto::SigningKey::from_seed(*seed);
        if (!k) return k.error();
        gms = std::move(*k);
    }
    LocalRelay local;
    net::Endpoint endpoint;
    std::string fingerprint;
    if (w.relay.empty()) {
        if (auto s = local.start(gms.public_key(), w.window); !s) return s.error();
        endpoint = local.endpoint;
        fingerprint = local.fingerprint;
    } else {
        auto ep = net::parse_endpoint(w.relay, "--relay");
        if (!ep) return ep.error();
        auto fp = net::normalise_fingerprint(w.relay_fingerprint, "--relay-fingerprint");
        if (!fp) return fp.error();
        endpoint = *ep;
        fingerprint = *fp;
    }

    const std::string group(kGroupIdBytes, '\x42');
    const std::size_t publisher = w.members;  // connection index; 0..members-1 receive
    std::vector<Member> members(w.members + 1);
    const auto expires = static_cast<std::uint64_t>(::time(nullptr)) + kStatementSeconds;
    for (auto& m : members) {
        m.statement.set_group_id(group);
        m.statement.set_epoch(1);
        m.statement.set_identity_key(m.key.public_key().data(), m.key.public_key().size());
        m.statement.set_account("bench");
        m.statement.set_expires_unix(expires);
        wire::sign_statement(m.statement, gms);
    }

    Measurement result;
    std::vector<double> latencies;
    latencies.reserve(1 << 20);
    std::size_t subscribed = 0;
    bool publisher_ready = false;
    std::size_t in_flight = 0;
    std::uint64_t next_request = kSubscribeRequest + 1;
    bool publishing = false;
    SteadyClock::time_point first_publish{};
    SteadyClock::time_point stop_publishing{};
    SteadyClock::time_point last_delivery{};
    std::optional<Error> failure;
    net::ClientPool* pool_ptr = nullptr;

    auto publish_one = [&] {
        v1::RelayRequest r;
        r.set_request_id(next_request++);
        auto* e = r.mutable_publish()->mutable_envelope();
        e->set_type(v1::ENVELOPE_TYPE_GROUP_MESSAGE);
        e->set_group_id(group);
        const Bytes payload = stamped_payload(w.msg_bytes);
        e->set_payload(payload.data(), payload.size());
        *r.mutable_publish()->mutable_statement() = members[publisher].statement;
        pool_ptr->send(publisher, as_bytes(encode(r)));
        ++in_flight;
        ++result.published;
    };
    auto fill_window = [&] {
        while (publishing && in_flight < w.window && SteadyClock::now() < stop_publishing) publish_one();
        if (SteadyClock::now() >= stop_publishing) publishing = false;
    };

    net::ClientPool pool(endpoint, fingerprint, [&](std::size_t conn, ByteView frame) {
        auto r = wire::parse_message<v1::RelayResponse>(frame);
        if (!r) {
            failure = r.error();
            return;
        }
        Member& m = members[conn];
        if (r->has_challenge()) {
            v1::RelayRequest auth;
            auth.set_request_id(kAuthRequest);
            auth.mutable_auth()->set_identity_key(m.key.public_key().data(), m.key.public_key().size());
            const auto sig = relay::sign_auth(m.key, as_bytes(r->challenge().challenge()), fingerprint);
            auth.mutable_auth()->set_signature(sig.data(), sig.size());
            pool_ptr->send(conn, as_bytes(encode(auth)));
        } else if (r->has_error()) {
            failure = make_error(Errc::internal, "relay refused: " + r->error().message());
        } else if (r->has_envelope()) {
            latencies.push_back(latency_ms(as_bytes(r->envelope().payload())));
            last_delivery = SteadyClock::now();
            m.unacked.push_back(r->envelope().id());
            if (m.unacked.size() >= kAckEvery) {
                v1::RelayRequest ack;
                ack.set_request_id(next_request++);
                for (auto id : m.unacked) ack.mutable_ack()->add_ids(id);
                m.unacked.clear();
                pool_ptr->send(conn, as_bytes(encode(ack)));
            }
        } else if (r->has_ok() && r->request_id() == kAuthRequest && conn != publisher) {
            v1::RelayRequest sub;
            sub.set_request_id(kSubscribeRequest);
            sub.mutable_subscribe()->set_group_id(group);
            *sub.mutable_subscribe()->mutable_statement() = m.statement;
            pool_ptr->send(conn, as_bytes(encode(sub)));
        } else if (r->has_ok() && (r->request_id() == kSubscribeRequest || conn == publisher)) {
            if (conn == publisher) publisher_ready = true; else ++subscribed;
            if (subscribed == w.members && publisher_ready) {
                publishing = true;
                first_publish = SteadyClock::now();
                stop_publishing = first_publish + std::chrono::duration_cast<SteadyClock::duration>(
                                                      std::chrono::duration<double>(w.seconds));
                fill_window();
            }
        } else if (r->body_case() == v1::RelayResponse::kAcceptedId) {
            --in_flight;
            fill_window();
        }
    });
    pool_ptr = &pool;
    if (auto c = pool.connect(members.size(), kConnectTimeout); !c) return c.error();
    const auto budget = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(w.seconds + kDrainSeconds) + kConnectTimeout);
    auto done = [&] {
        return failure.has_value() ||
               (subscribed == w.members && !publishing && in_flight == 0 &&
                latencies.size() >= result.published * w.members);
    };
    // The budget running out is the normal end of a timed run; a lost connection is not.
    if (auto s = pool.run_until(done, budget); !s && s.error().code != Errc::timeout) return s.error();
    if (failure) return *failure;
    summarise(result, latencies, std::chrono::duration<double>(last_delivery - first_publish).count());
    return result;
}

}  // namespace twofold::bench
