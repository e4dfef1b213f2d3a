#include "gms_server/leadership.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "gms_pg/lease.h"
#include "gms_pg/postgres_store.h"
#include "gms_server/standby.h"
#include "net/tls_identity.h"
#include "pg/connection_string.h"

namespace twofold::gms {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Sleeps up to `d`, or until stop() (from another thread).
class Stopwatch {
  public:
    bool wait(std::chrono::milliseconds d) {
        std::unique_lock lock(mutex_);
        return !cv_.wait_for(lock, d, [this] { return stopped_; });
    }
    void stop() {
        {
            const std::lock_guard lock(mutex_);
            stopped_ = true;
        }
        cv_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopped_ = false;
};

pg::RetryPolicy retry_for(std::chrono::milliseconds give_up_after, const char* what) {
    pg::RetryPolicy retry;
    retry.give_up_after = give_up_after;
    retry.max_delay = std::min<std::chrono::milliseconds>(1'000ms, std::max<std::chrono::milliseconds>(give_up_after / 4, 50ms));
    retry.on_retry = [what](const Error& why, std::chrono::milliseconds wait) {
        spdlog::warn("{}: database unavailable, retrying in {} ms: {}", what, wait.count(), why.message);
    };
    return retry;
}

// The port a previous holder of it may still be closing: a few tries.
template <class Server>
Status bind_with_patience(Server& server) {
    Status s;
    for (int attempt = 0; attempt < 50; ++attempt) {
        s = server.bind();
        if (s) return s;
        std::this_thread::sleep_for(100ms);
    }
    return s;
}

std::string holder_name() {
    char host[256] = {};
    (void)::gethostname(host, sizeof host - 1);
    return std::string(host) + " pid " + std::to_string(::getpid());
}

struct Term {
    std::int64_t token;
    Clock::time_point valid_until;  // by our clock: measured from before the request that took it
};

// Stands by until the lease is ours (a term), or SIGTERM (nullopt).
// `lease_for`: the lease, once the port is bound (the first time, the advertised port may be it).
Result<std::optional<Term>> stand_by(const ServiceOptions& options, const net::TlsIdentity& tls, std::uint16_t& port,
                                     const std::function<Result<Lease*>(std::uint16_t)>& lease_for) {
    net::ServerOptions server_options;
    server_options.listen = net::Endpoint{options.listen.host, port};
    server_options.identity = tls;
    server_options.max_connections = options.max_connections;
    server_options.max_connections_per_address = options.max_connections_per_address;
    server_options.idle_timeout = options.idle_timeout;
    server_options.frame_timeout = options.frame_timeout;
    server_options.auth_timeout = options.auth_timeout;
    server_options.shutdown_grace = 200ms;
    Standby standby(server_options);
    if (auto s = bind_with_patience(standby); !s) return s.error();
    port = standby.bound_port();
    auto found = lease_for(port);
    if (!found) return found.error();
    Lease& lease = **found;

    std::optional<Term> term;
    Stopwatch quit;
    const auto poll = std::clamp<std::chrono::milliseconds>(lease.ttl() / 5, 20ms, 500ms);
    std::thread poller([&] {
        bool warned = false;
        do {
            const auto asked = Clock::now();
            auto token = lease.try_acquire();
            if (token && *token) {
                term = Term{**token, asked + lease.ttl()};
                standby.stop();
                return;
            }
            if (!token) {
                if (!warned) spdlog::warn("standby: cannot read the lease: {}", token.error().message);
                warned = true;
                continue;
            }
            warned = false;
            if (auto leader = lease.leader()) standby.set_leader(*leader);
        } while (quit.wait(poll));
    });
    spdlog::info("standing by on port {}", port);
    const Status ran = standby.run();
    quit.stop();
    poller.join();
    if (!ran) return ran.error();
    return term;
}

// Leads for one term: loads the state and serves until SIGTERM (ok) or the lease is lost (an
// error saying why).
Status lead(ServiceOptions options, Lease& lease, const Term& term, std::uint16_t port) {
    spdlog::info("leading, fencing token {}", term.token);
    // A commit is not retried past the lease's TTL: by then another process may lead.
    auto store = PostgresStore::open(options.store, options.data_dir, retry_for(lease.ttl(), "commit"));
    if (!store) return store.error();
    const auto idle_limit = lease.ttl();
    (*store)->set_commit_guard(
        [token = term.token, idle_limit](pg::Connection& tx) { return Lease::check_token(tx, token, idle_limit); });

    std::atomic<bool> lost{false};
    std::atomic<Clock::rep> valid_until{term.valid_until.time_since_epoch().count()};
    options.still_leader = [&] {
        return !lost && Clock::now().time_since_epoch().count() < valid_until.load();
    };
    options.listen.port = port;
    auto service = Service::open(options, std::move(*store));
    if (!service) return service.error();
    if (auto s = bind_with_patience(**service); !s) return s;

    Stopwatch quit;
    std::thread renewer([&] {
        while (quit.wait(lease.ttl() / 3)) {
            const auto asked = Clock::now();
            auto renewed = lease.renew(term.token);
            if (renewed && *renewed) {
                valid_until = (asked + lease.ttl()).time_since_epoch().count();
                continue;
            }
            if (renewed) {
                spdlog::warn("the lease was taken by another process");
                lost = true;
            } else if (Clock::now().time_since_epoch().count() >= valid_until.load()) {
                spdlog::warn("the lease could not be renewed within its TTL: {}", renewed.error().message);
                lost = true;
            }
            if (lost) {
                (*service)->stop();
                return;
            }
        }
    });
    const Status served = (*service)->run();
    quit.stop();
    renewer.join();
    if (served && !lost) return {};
    return served ? Status{make_error(Errc::conflict, "no longer the leader")} : served;
}

}  // namespace

Status run_with_leadership(ServiceOptions options, const LeadershipOptions& leadership,
                           const std::function<void(std::uint16_t port, const Identity& identity)>& on_listening) {
    if (!pg::is_postgres_url(options.store)) {
        return make_error(Errc::invalid_argument, "several GMS processes (--advertise) need --store postgresql://...");
    }
    if (leadership.lease_ttl < 100ms) return make_error(Errc::invalid_argument, "--lease-ttl must be at least 0.1 s");
    // The data directory, the schema and the shared identity, once.
    if (auto local = load_or_create_identity(options.data_dir); !local) return local.error();
    {
        auto setup = PostgresStore::open(options.store, options.data_dir, retry_for(30'000ms, "start"));
        if (!setup) return setup.error();
        if (auto s = (*setup)->adopt_shared_identity(options.data_dir); !s) return s;
    }
    auto identity = load_or_create_identity(options.data_dir);
    if (!identity) return identity.error();
    auto tls = net::load_or_create_tls_identity(options.data_dir, "twofold-gms");
    if (!tls) return tls.error();

    std::uint16_t port = options.listen.port;
    std::optional<Lease> lease;
    const auto lease_for = [&](std::uint16_t bound) -> Result<Lease*> {
        if (lease) return &*lease;
        std::string advertise = leadership.advertise;
        if (auto ep = net::parse_endpoint(advertise, "--advertise"); !ep || ep->port == 0) {
            advertise = (ep ? ep->host : advertise) + ":" + std::to_string(bound);
        }
        // Renewals give up quickly: the next one is due a third of a TTL later anyway.
        auto opened = Lease::open(options.store, retry_for(leadership.lease_ttl / 3, "lease"), holder_name(),
                                  advertise, leadership.lease_ttl);
        if (!opened) return opened.error();
        lease.emplace(std::move(*opened));
        spdlog::info("advertising {} to members that standbys send here", advertise);
        on_listening(bound, *identity);
        return &*lease;
    };
    for (;;) {
        auto waited = stand_by(options, *tls, port, lease_for);
        if (!waited) return waited.error();
        if (!*waited) return {};  // SIGTERM while standing by
        const Term term = **waited;
        const Status served = lead(options, *lease, term, port);
        if (served) {
            if (auto s = lease->release(term.token); !s) spdlog::warn("could not release the lease: {}", s.error().message);
            return {};
        }
        spdlog::warn("stepped down: {}", served.error().message);
    }
}

}  // namespace twofold::gms
