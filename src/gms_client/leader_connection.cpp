#include "gms_client/leader_connection.h"

#include <thread>

namespace twofold::gms {

namespace {

using Clock = std::chrono::steady_clock;

bool unreachable(const Error& e) { return e.code == Errc::unavailable || e.code == Errc::timeout; }

}  // namespace

Result<LeaderConnection> connect_to_leader(const std::vector<GmsEndpoint>& endpoints,
                                           const std::function<Status(GmsClient&)>& first,
                                           std::chrono::milliseconds patience) {
    if (endpoints.empty()) return make_error(Errc::invalid_argument, "no GMS endpoint given");
    // One endpoint has no standby to take over from it: one round, as a single GMS always had.
    const auto deadline = Clock::now() + (endpoints.size() > 1 ? patience : std::chrono::milliseconds::zero());
    std::string last = "no answer";
    for (;;) {
        std::vector<GmsEndpoint> round = endpoints;
        for (std::size_t i = 0; i < round.size(); ++i) {
            const GmsEndpoint candidate = round[i];
            // A process that accepts but does not finish the handshake (paused, hung) is skipped
            // soon: another one may lead.
            net::ClientOptions options;
            options.connect_timeout = std::chrono::seconds(2);
            auto client = GmsClient::connect(candidate.endpoint, candidate.fingerprint, options);
            if (!client) {
                last = candidate.endpoint.to_string() + ": " + client.error().message;
                continue;
            }
            (*client)->set_timeout(std::chrono::seconds(10));
            const Status s = first(**client);
            if (s) {
                (*client)->set_timeout(std::chrono::seconds(30));
                return LeaderConnection{std::move(*client), candidate};
            }
            last = candidate.endpoint.to_string() + ": " + s.error().message;
            if (!(*client)->not_leader()) {
                if (unreachable(s.error())) continue;
                return s.error();
            }
            // A standby: try the leader it names next, unless this round has tried it already.
            const std::string& hint = *(*client)->not_leader();
            if (hint.empty()) continue;
            auto leader = net::parse_endpoint(hint, "the standby's leader");
            if (!leader) continue;
            bool tried = false;
            for (std::size_t j = 0; j <= i; ++j) tried = tried || round[j].endpoint.to_string() == leader->to_string();
            if (tried) continue;
            const std::string fingerprint = fingerprint_for(endpoints, *leader);
            if (fingerprint.empty()) {
                last = "the standby names " + hint + " as the leader, whose fingerprint this member was never given";
                continue;
            }
            round.insert(round.begin() + static_cast<std::ptrdiff_t>(i) + 1, GmsEndpoint{*leader, fingerprint});
        }
        if (Clock::now() >= deadline) {
            return make_error(Errc::unavailable, "no GMS process leads (tried " + std::to_string(endpoints.size()) +
                                                     " endpoint(s)); last: " + last);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

}  // namespace twofold::gms
