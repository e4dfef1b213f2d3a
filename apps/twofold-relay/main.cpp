// twofold-relay: the untrusted communication server. It stores and forwards ciphertext
// envelopes (mailboxes and group topics) and never holds RN1, RN2, GK or a plaintext.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>

#include "common/command_line.h"
#include "common/logging.h"
#include "crypto/hex.h"
#include "relay_server/service.h"

namespace {

using twofold::apps::kExitFailure;
using twofold::apps::kExitOk;
using twofold::apps::kExitUsage;
constexpr std::uint64_t kSecondsPerDay = 86'400;

int fail(const std::string& message, int status = kExitFailure) {
    std::cerr << "twofold-relay: " << message << '\n';
    return status;
}

// Logs go to stderr and DIR/relay.log. They name connections, ids, sizes and errors, never
// payload bytes or keys' secrets.

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"twofold-relay: stores and forwards ciphertext envelopes; never holds a key or a plaintext"};
    app.set_version_flag("--version", std::string("twofold-relay ") + TWOFOLD_VERSION);
    app.set_config("--config", "", "read options from a TOML/INI file (key = value, as the long option names)");

    std::string data_dir;
    std::string listen = "127.0.0.1:7500";
    std::string gms_key_hex;
    std::string log_level = "info";
    twofold::relay::ServiceOptions options;
    auto& core = options.core;
    std::uint64_t ttl_s = 7 * kSecondsPerDay;
    std::uint64_t grace_s = 120;
    std::uint64_t idle_timeout_s = 600;
    double frame_timeout_s = 30;
    double auth_timeout_s = 10;
    std::uint64_t queued_mib = core.max_queued_bytes_per_member / twofold::relay::kMiB;
    std::uint64_t group_mib = core.max_group_bytes / twofold::relay::kMiB;
    app.add_option("--data", data_dir, "data directory (created on first start)")->required();
    app.add_option("--listen", listen, "HOST:PORT to serve on (port 0: any)")->capture_default_str();
    app.add_option("--gms-key", gms_key_hex, "the GMS's statement signing key, 64 hex digits (twofold-gms info)")
        ->required();
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    app.add_option("--ttl", ttl_s, "seconds an envelope is kept (a group's even once acknowledged, for later joiners)")
        ->capture_default_str();
    app.add_option("--grace", grace_s, "seconds a statement of an older epoch stays valid after a newer one")
        ->capture_default_str();
    app.add_option("--max-envelope-bytes", core.max_envelope_bytes, "largest envelope payload")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{16} * twofold::relay::kMiB));
    app.add_option("--max-queued-mib", queued_mib, "MiB queued for one recipient")->capture_default_str();
    app.add_option("--max-group-mib", group_mib, "MiB of envelopes retained per group (the oldest are dropped)")
        ->capture_default_str();
    app.add_option("--sends-per-second", core.sends_per_second, "envelopes a member may send per second")
        ->capture_default_str();
    app.add_option("--send-burst", core.send_burst, "envelopes a member may send at once")->capture_default_str();
    app.add_option("--delivery-window", core.delivery_window, "unacknowledged envelopes in flight per connection")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{65536}));
    app.add_option("--max-connections", options.max_connections, "simultaneous connections")->capture_default_str();
    app.add_option("--max-connections-per-member", core.max_connections_per_member, "per identity key")
        ->capture_default_str();
    app.add_option("--max-connections-per-address", options.max_connections_per_address,
                   "simultaneous connections from one source address")
        ->capture_default_str();
    app.add_option("--idle-timeout", idle_timeout_s, "seconds a silent client is kept")->capture_default_str();
    app.add_option("--frame-timeout", frame_timeout_s, "seconds a frame may take to arrive after its first byte")
        ->capture_default_str()
        ->check(CLI::Range(0.001, 3600.0));
    app.add_option("--auth-timeout", auth_timeout_s, "seconds a connection may take to answer its AuthChallenge")
        ->capture_default_str()
        ->check(CLI::Range(0.001, 3600.0));

    if (auto exit = twofold::apps::parse_command_line(app, argc, argv, "twofold-relay")) return *exit;

    auto endpoint = twofold::net::parse_endpoint(listen, "--listen");
    if (!endpoint) return fail(endpoint.error().message, kExitUsage);
    if (auto s = twofold::crypto::from_hex(gms_key_hex, options.gms_key, "--gms-key"); !s) {
        return fail(s.error().message, kExitUsage);
    }
    options.data_dir = data_dir;
    options.listen = *endpoint;
    options.idle_timeout = std::chrono::seconds(idle_timeout_s);
    options.frame_timeout = std::chrono::milliseconds(std::llround(frame_timeout_s * 1000));
    options.auth_timeout = std::chrono::milliseconds(std::llround(auth_timeout_s * 1000));
    core.ttl_ms = ttl_s * twofold::relay::kMsPerSecond;
    core.grace_ms = grace_s * twofold::relay::kMsPerSecond;
    core.max_queued_bytes_per_member = queued_mib * twofold::relay::kMiB;
    core.max_group_bytes = group_mib * twofold::relay::kMiB;

    if (auto s = twofold::apps::set_up_logging(options.data_dir, "relay", log_level); !s)
        return fail(s.error().message);
    auto service = twofold::relay::Service::open(options);
    if (!service) return fail(service.error().message);
    if (auto s = (*service)->bind(); !s) return fail(s.error().message);
    const twofold::net::Endpoint bound{options.listen.host, (*service)->bound_port()};
    std::cout << "twofold-relay listening on " << bound.to_string() << " tls-fingerprint "
              << (*service)->tls_fingerprint() << std::endl;
    spdlog::info("listening on {}", bound.to_string());
    if (auto s = (*service)->run(); !s) return fail(s.error().message);
    spdlog::info("stopped");
    return kExitOk;
}
