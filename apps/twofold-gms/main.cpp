// twofold-gms: the Group Management Server. It knows who is in each group and makes, renews and
// distributes RN2; it never holds RN1, a group's name, GK or any message.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>

#include "common/command_line.h"
#include "common/logging.h"
#include "crypto/hex.h"
#include "gms_server/leadership.h"
#include "gms_server/open_store.h"
#include "gms_server/service.h"
#include "lan/session.h"
#include "pg/connection_string.h"
#include "turn_options.h"

namespace {

using twofold::apps::kExitFailure;
using twofold::apps::kExitOk;
using twofold::apps::kExitUsage;

int fail(const std::string& message, int status = kExitFailure) {
    std::cerr << "twofold-gms: " << message << '\n';
    return status;
}

std::string json_escape(const std::string& s) {
    std::string out;
    for (const char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        if (static_cast<unsigned char>(c) < 0x20) {
            out += "?";
            continue;
        }
        out.push_back(c);
    }
    return out;
}

void print_listening(const std::string& host, std::uint16_t port, const twofold::gms::Identity& identity) {
    const twofold::net::Endpoint bound{host, port};
    std::cout << "twofold-gms listening on " << bound.to_string() << " tls-fingerprint " << identity.tls_fingerprint
              << " signing-key " << identity.signing_key_hex << std::endl;
}

// One of several processes on one database: stands by or leads (gms_server/leadership.h).
int serve_with_leadership(twofold::gms::ServiceOptions options, const twofold::gms::LeadershipOptions& leadership,
                          const std::string& log_level) {
    if (auto s = twofold::apps::set_up_logging(options.data_dir, "gms", log_level); !s) return fail(s.error().message);
    const std::string host = options.listen.host;
    auto s = twofold::gms::run_with_leadership(
        options, leadership,
        [&](std::uint16_t port, const twofold::gms::Identity& identity) { print_listening(host, port, identity); });
    if (!s) return fail(s.error().message);
    spdlog::info("stopped");
    return kExitOk;
}

int serve(twofold::gms::ServiceOptions options, const std::string& log_level) {
    if (auto s = twofold::apps::set_up_logging(options.data_dir, "gms", log_level); !s) return fail(s.error().message);
    auto service = twofold::gms::Service::open(options);
    if (!service) return fail(service.error().message);
    if (auto s = (*service)->bind(); !s) return fail(s.error().message);
    print_listening(options.listen.host, (*service)->bound_port(), (*service)->identity());
    if (auto s = (*service)->run(); !s) return fail(s.error().message);
    spdlog::info("stopped");
    return kExitOk;
}

int info(const std::filesystem::path& data_dir, const std::string& store_url, bool json) {
    if (!store_url.empty()) {
        // On PostgreSQL the identity is the database's, shared by every process on it.
        if (auto d = twofold::gms::load_or_create_identity(data_dir); !d) return fail(d.error().message);
        auto store = twofold::gms::open_store(store_url, data_dir);
        if (!store) return fail(store.error().message);
    }
    auto identity = twofold::gms::load_or_create_identity(data_dir);
    if (!identity) return fail(identity.error().message);
    if (json) {
        std::cout << "{\"tls_fingerprint\":\"" << identity->tls_fingerprint << "\",\"signing_key\":\""
                  << identity->signing_key_hex << "\"}\n";
    } else {
        std::cout << "tls-fingerprint " << identity->tls_fingerprint << "\nsigning-key " << identity->signing_key_hex
                  << '\n';
    }
    return kExitOk;
}

int groups(const std::filesystem::path& data_dir, const std::string& store_url, bool json) {
    if (store_url.empty() && !std::filesystem::exists(data_dir / "gms.db")) {
        return fail("no GMS data in " + data_dir.string());
    }
    auto store = twofold::gms::open_store(store_url, data_dir);
    if (!store) return fail(store.error().message);
    auto rows = (*store)->group_table();
    if (!rows) return fail(rows.error().message);
    if (json) {
        std::cout << "[";
        for (std::size_t i = 0; i < rows->size(); ++i) {
            const auto& r = (*rows)[i];
            std::cout << (i ? "," : "") << "{\"group\":\"" << twofold::crypto::to_hex(r.group) << "\",\"member\":\""
                      << json_escape(r.account) << "\",\"online\":" << (r.online ? "true" : "false")
                      << ",\"acknowledged_epoch\":" << r.acknowledged_epoch << ",\"rn2_epoch\":" << r.rn2_epoch
                      << ",\"may_invite\":" << (r.rights.may_invite ? "true" : "false")
                      << ",\"may_remove\":" << (r.rights.may_remove ? "true" : "false") << "}";
        }
        std::cout << "]\n";
        return kExitOk;
    }
    std::printf("%-32s  %-20s  %-6s  %-9s  %-9s  %s\n", "group", "member", "online", "ack-epoch", "rn2-epoch",
                "rights");
    for (const auto& r : *rows) {
        std::string rights = std::string(r.rights.may_invite ? "invite " : "") + (r.rights.may_remove ? "remove" : "");
        std::printf("%-32s  %-20s  %-6s  %-9llu  %-9llu  %s\n", twofold::crypto::to_hex(r.group).c_str(),
                    r.account.c_str(), r.online ? "yes" : "no", static_cast<unsigned long long>(r.acknowledged_epoch),
                    static_cast<unsigned long long>(r.rn2_epoch), rights.empty() ? "-" : rights.c_str());
    }
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"twofold-gms: the Group Management Server (holds RN2, never RN1, GK or messages)"};
    app.set_version_flag("--version", std::string("twofold-gms ") + TWOFOLD_VERSION);
    app.set_config("--config", "", "read options from a TOML/INI file");
    app.fallthrough();  // `info --data DIR` and `--data DIR info` both work

    std::string data_dir;
    std::string listen = "127.0.0.1:7400";
    std::string log_level = "info";
    std::string password_profile = "interactive";
    twofold::gms::ServiceOptions options;
    std::uint64_t idle_timeout_s = 300;
    double frame_timeout_s = 10;
    double auth_timeout_s = 10;
    app.add_option("--data", data_dir, "data directory (created on first start): keys, and the SQLite store")
        ->required();
    app.add_option("--store", options.store,
                   "postgresql://user[:password]@host[:port]/database to keep the state in PostgreSQL "
                   "(default: SQLite in --data)");
    app.add_option("--listen", listen, "HOST:PORT to serve on")->capture_default_str();
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    std::string relay;
    app.add_option("--relay", relay, "HOST:PORT of the relay to publish each rekey to, once per group");
    app.add_option("--relay-fingerprint", options.relay_fingerprint, "the relay's TLS fingerprint (sha256:HEX)");
    app.add_option("--default-rn2-interval", options.core.default_rn2_interval_seconds,
                   "seconds between timed RN2 renewals for groups that do not choose")
        ->capture_default_str()
        ->check(CLI::Range(1u, 86400u));
    app.add_option("--max-members", options.core.max_members, "largest group allowed")->capture_default_str();
    app.add_option("--max-connections", options.max_connections, "simultaneous connections")->capture_default_str();
    app.add_option("--max-connections-per-address", options.max_connections_per_address,
                   "simultaneous connections from one source address")
        ->capture_default_str();
    app.add_option("--idle-timeout", idle_timeout_s, "seconds a silent client is kept")->capture_default_str();
    app.add_option("--frame-timeout", frame_timeout_s, "seconds a request may take to arrive after its first byte")
        ->capture_default_str()
        ->check(CLI::Range(0.001, 3600.0));
    app.add_option("--auth-timeout", auth_timeout_s, "seconds a connection may take to log in or register")
        ->capture_default_str()
        ->check(CLI::Range(0.001, 3600.0));
    app.add_option("--statement-ttl", options.core.statement_ttl_seconds, "seconds a membership statement is valid")
        ->capture_default_str();
    app.add_option("--requests-per-second", options.core.requests_per_second, "per account")->capture_default_str();
    std::string turn_secret_file, stun_server;
    std::vector<std::string> turn_servers;
    std::uint64_t turn_ttl_s = 3600;
    app.add_option("--turn-secret-file", turn_secret_file,
                   "file holding coturn's static-auth-secret: login answers then carry TURN credentials");
    app.add_option("--turn-server", turn_servers, "HOST:PORT of the TURN server (UDP) members are told");
    app.add_option("--stun-server", stun_server, "HOST:PORT of the STUN server members are told");
    app.add_option("--turn-ttl", turn_ttl_s, "seconds the TURN credentials stay valid")->capture_default_str();
    app.add_option("--password-hashing", password_profile, "interactive, moderate, or minimum (tests only)")
        ->check(CLI::IsMember({"interactive", "moderate", "minimum"}))
        ->capture_default_str();

    std::string multicast_range(twofold::lan::kDefaultRange);
    std::string multicast_scope = "site";
    std::uint16_t multicast_port = twofold::lan::kDefaultPort;
    app.add_option("--multicast-interface", options.multicast_interface,
                   "also send every rekey to each group's IP multicast session on this interface's LAN")
        ->group("Rekeys by IP multicast");
    app.add_option("--multicast-range", multicast_range, "group addresses, inside 239.0.0.0/8 (RFC 2365)")
        ->capture_default_str()
        ->group("Rekeys by IP multicast");
    app.add_option("--multicast-port", multicast_port, "UDP port of every group's session")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535))
        ->group("Rekeys by IP multicast");
    app.add_option("--multicast-scope", multicast_scope, "how far datagrams go: subnet (TTL 1), site (15), region (63), world (127)")
        ->capture_default_str()
        ->check(CLI::IsMember({"subnet", "site", "region", "world"}))
        ->group("Rekeys by IP multicast");

    twofold::gms::LeadershipOptions leadership;
    double lease_ttl_s = 3;
    app.add_option("--advertise", leadership.advertise,
                   "HOST[:PORT] members reach this process at: run as one of several GMS processes on one "
                   "PostgreSQL database (--store), one leading, the others standing by")
        ->group("Several GMS processes");
    app.add_option("--lease-ttl", lease_ttl_s, "seconds the leader's lease lasts unrenewed: a standby takes over this "
                                               "long after the leader dies")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 600.0))
        ->group("Several GMS processes");

    bool json = false;
    CLI::App* info_cmd = app.add_subcommand("info", "print the TLS fingerprint and signing key");
    info_cmd->add_flag("--json", json, "one JSON object");
    CLI::App* groups_cmd = app.add_subcommand("groups", "the group table: members, login status, acknowledged epochs");
    groups_cmd->add_flag("--json", json, "a JSON array");

    if (auto exit = twofold::apps::parse_command_line(app, argc, argv, "twofold-gms")) return *exit;

    options.data_dir = data_dir;
    if (info_cmd->parsed()) return info(options.data_dir, options.store, json);
    if (groups_cmd->parsed()) return groups(options.data_dir, options.store, json);

    if (!options.store.empty() && !twofold::pg::is_postgres_url(options.store)) {
        return fail("--store: expected postgresql://user@host/database, got something else", kExitUsage);
    }
    auto endpoint = twofold::net::parse_endpoint(listen, "--listen");
    if (!endpoint) return fail(endpoint.error().message, kExitUsage);
    options.listen = *endpoint;
    if (!options.multicast_interface.empty()) {
        auto range = twofold::lan::parse_range(multicast_range);
        if (!range) return fail("--multicast-range: " + range.error().message, kExitUsage);
        options.core.lan = twofold::lan::SessionPlan{*range, multicast_port, *twofold::lan::parse_scope(multicast_scope)};
    }
    if (!relay.empty()) {
        if (options.relay_fingerprint.empty()) return fail("--relay needs --relay-fingerprint");
        auto relay_endpoint = twofold::net::parse_endpoint(relay, "--relay");
        if (!relay_endpoint) return fail(relay_endpoint.error().message);
        options.relay = *relay_endpoint;
    }
    options.idle_timeout = std::chrono::seconds(idle_timeout_s);
    options.frame_timeout = std::chrono::milliseconds(std::llround(frame_timeout_s * 1000));
    options.auth_timeout = std::chrono::milliseconds(std::llround(auth_timeout_s * 1000));
    if (!turn_secret_file.empty()) {
        auto turn = twofold::apps::load_turn_config(turn_secret_file, turn_servers, stun_server, turn_ttl_s);
        if (!turn) return fail(turn.error().message, kExitUsage);
        options.core.turn = std::move(*turn);
    } else if (!turn_servers.empty() || !stun_server.empty()) {
        return fail("--turn-server and --stun-server need --turn-secret-file", kExitUsage);
    }
    options.password_limits = password_profile == "moderate"  ? twofold::crypto::PwhashLimits::moderate()
                              : password_profile == "minimum" ? twofold::crypto::PwhashLimits::minimum()
                                                              : twofold::crypto::PwhashLimits::interactive();
    if (!leadership.advertise.empty()) {
        if (options.store.empty()) return fail("--advertise needs --store postgresql://...: the processes share its database", kExitUsage);
        leadership.lease_ttl = std::chrono::milliseconds(std::llround(lease_ttl_s * 1000));
        return serve_with_leadership(options, leadership, log_level);
    }
    return serve(options, log_level);
}
