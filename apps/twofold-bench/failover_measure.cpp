#include "failover_measure.h"

#include <chrono>
#include <thread>

#include "crypto/sign.h"
#include "gms_client/leader_connection.h"
#include "proc/gms_cluster.h"

namespace twofold::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kPassword = "failover-password";

Status login(gms::GmsClient& c) {
    auto r = c.login("failover", kPassword);
    return r ? Status{} : Status{r.error()};
}

}  // namespace

Result<std::vector<double>> measure_failover(const std::string& gms_binary, const std::string& store, int rounds,
                                             double lease_ttl_s) {
    proc::GmsCluster::Options o;
    o.binary = gms_binary;
    o.store = store;
    o.processes = 2;
    o.lease_ttl_seconds = lease_ttl_s;
    o.extra_args = {"--password-hashing", "minimum", "--log-level", "error"};
    auto cluster = proc::GmsCluster::start(o);
    if (!cluster) return cluster.error();
    std::vector<gms::GmsEndpoint> endpoints;
    for (std::size_t i = 0; i < (*cluster)->size(); ++i) {
        endpoints.push_back({(*cluster)->at(i).endpoint, (*cluster)->at(i).fingerprint});
    }
    const auto key = crypto::SigningKey::generate();
    auto first = gms::connect_to_leader(endpoints, [&](gms::GmsClient& c) {
        auto r = c.register_account("failover", kPassword, key.public_key());
        if (!r && r.error().code == Errc::conflict) return Status{};  // a database used before
        return r;
    });
    if (!first) return first.error();

    std::vector<double> times;
    for (int round = 0; round < rounds; ++round) {
        const auto leader = (*cluster)->leader();
        if (!leader) return make_error(Errc::unavailable, "no process leads");
        // Wait until the other one stands by (restarted last round), so the takeover is a real one.
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(lease_ttl_s * 500)));
        const auto killed = Clock::now();
        (*cluster)->kill9(*leader);
        auto answered = gms::connect_to_leader(endpoints, login, std::chrono::seconds(60));
        if (!answered) return answered.error();
        times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - killed).count());
        if (auto s = (*cluster)->restart(*leader); !s) return s.error();
    }
    return times;
}

}  // namespace twofold::bench
