// `twofold-bench relay --members N --msg-bytes B --seconds S [--json]`: twofold-relay, mosquitto,
// and mosquitto with twofold-mosquitto-auth.so (QoS 1, persistence on) on the same workload; see
// relay_bench.h, docs/relay.md and docs/performance.md.
#include "relay_command.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "relay_bench.h"

namespace twofold::bench {

namespace {
constexpr std::size_t kStampBytes = 8;
}

Bytes stamped_payload(std::size_t bytes) {
    Bytes out(std::max(bytes, kStampBytes), 0x5a);
    const std::uint64_t now = steady_now_ns();
    std::memcpy(out.data(), &now, kStampBytes);
    return out;
}

double latency_ms(ByteView payload) {
    if (payload.size() < kStampBytes) return 0;
    std::uint64_t sent = 0;
    std::memcpy(&sent, payload.data(), kStampBytes);
    return static_cast<double>(steady_now_ns() - sent) / 1e6;
}

void summarise(Measurement& m, std::vector<double>& latencies, double elapsed_s) {
    m.delivered = latencies.size();
    m.delivered_per_s = elapsed_s > 0 ? static_cast<double>(m.delivered) / elapsed_s : 0;
    if (latencies.empty()) return;
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double q) { return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(q * static_cast<double>(latencies.size())))]; };
    m.p50_ms = at(0.50);
    m.p99_ms = at(0.99);
}

void add_relay_command(CLI::App& app, int* exit_status) {
    auto* cmd = app.add_subcommand("relay", "twofold-relay vs mosquitto vs mosquitto with the twofold plugin (QoS 1, persistence on): group fan-out");
    auto w = std::make_shared<RelayWorkload>();
    auto json = std::make_shared<bool>(false);
    auto skip_mosquitto = std::make_shared<bool>(false);
    auto skip_plugin = std::make_shared<bool>(false);
    auto plugin = std::make_shared<std::string>(TWOFOLD_MQTT_PLUGIN);
    cmd->add_option("--members", w->members, "receiving members of the group")->capture_default_str()->check(CLI::Range(1, 10000));
    cmd->add_option("--msg-bytes", w->msg_bytes, "payload bytes per message (>= 8)")->capture_default_str()->check(CLI::Range(8, 256 * 1024));
    cmd->add_option("--seconds", w->seconds, "seconds of publishing")->capture_default_str()->check(CLI::Range(0.1, 3600.0));
    cmd->add_option("--window", w->window, "messages in flight (publisher and each receiver)")->capture_default_str()->check(CLI::Range(1, 65536));
    cmd->add_option("--relay", w->relay, "HOST:PORT of a running relay (default: start one on loopback)");
    cmd->add_option("--relay-fingerprint", w->relay_fingerprint, "with --relay: its TLS fingerprint");
    cmd->add_option("--gms-seed", w->gms_seed_hex, "with --relay: the seed of the GMS key it trusts (64 hex digits)");
    cmd->add_option("--plugin", *plugin, "twofold-mosquitto-auth.so to load")->capture_default_str();
    cmd->add_flag("--no-mosquitto", *skip_mosquitto, "measure the relay only");
    cmd->add_flag("--no-plugin", *skip_plugin, "skip mosquitto with the plugin");
    cmd->add_flag("--json", *json, "one JSON object");
    cmd->callback([w, json, skip_mosquitto, skip_plugin, plugin, exit_status] {
        auto relay = run_twofold_relay(*w);
        if (!relay) {
            std::cerr << "twofold-bench relay: twofold-relay: " << relay.error().message << '\n';
            *exit_status = 1;
            return;
        }
        Measurement mosq, with_plugin, over_broker;
        auto run = [&](const std::string& so, Measurement& into, const char* what) {
            auto m = run_mosquitto(*w, so);
            if (!m) {
                std::cerr << "twofold-bench relay: " << what << ": " << m.error().message << '\n';
                *exit_status = 1;
                return false;
            }
            into = *m;
            return true;
        };
        if (!*skip_mosquitto) {
            if (!run("", mosq, "mosquitto")) return;
            if (!*skip_plugin && !run(*plugin, with_plugin, "mosquitto with the plugin")) return;
            if (!*skip_plugin) {
                auto m = run_twofold_mqtt(*w, *plugin);
                if (!m) {
                    std::cerr << "twofold-bench relay: twofold over mosquitto: " << m.error().message << '\n';
                    *exit_status = 1;
                    return;
                }
                over_broker = *m;
            }
        }
        auto over = [](const Measurement& a, const Measurement& b) {
            return b.delivered_per_s > 0 ? a.delivered_per_s / b.delivered_per_s : 0;
        };
        const double ratio = over(*relay, mosq), plugin_ratio = over(with_plugin, mosq),
                     twofold_ratio = over(over_broker, mosq);
        if (*json) {
            std::printf("{\"members\":%zu,\"msg_bytes\":%zu,\"delivered_per_s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                        "\"mosquitto_delivered_per_s\":%.0f,\"mosquitto_p50_ms\":%.3f,\"mosquitto_p99_ms\":%.3f,"
                        "\"ratio\":%.3f,\"plugin_delivered_per_s\":%.0f,\"plugin_p50_ms\":%.3f,\"plugin_p99_ms\":%.3f,"
                        "\"plugin_ratio\":%.3f,\"twofold_mqtt_delivered_per_s\":%.0f,\"twofold_mqtt_p50_ms\":%.3f,"
                        "\"twofold_mqtt_p99_ms\":%.3f,\"twofold_mqtt_ratio\":%.3f}\n",
                        w->members, w->msg_bytes, relay->delivered_per_s, relay->p50_ms, relay->p99_ms,
                        mosq.delivered_per_s, mosq.p50_ms, mosq.p99_ms, ratio, with_plugin.delivered_per_s,
                        with_plugin.p50_ms, with_plugin.p99_ms, plugin_ratio, over_broker.delivered_per_s,
                        over_broker.p50_ms, over_broker.p99_ms, twofold_ratio);
            return;
        }
        std::printf("group of %zu receivers, %zu-byte messages, %.1f s\n", w->members, w->msg_bytes, w->seconds);
        std::printf("  twofold-relay (TLS 1.3, fsync per batch):  %10.0f delivered/s  p50 %.3f ms  p99 %.3f ms  (%llu published)\n",
                    relay->delivered_per_s, relay->p50_ms, relay->p99_ms,
                    static_cast<unsigned long long>(relay->published));
        if (!*skip_mosquitto) {
            std::printf("  mosquitto (TLS 1.3, QoS 1, persistence on):%10.0f delivered/s  p50 %.3f ms  p99 %.3f ms\n",
                        mosq.delivered_per_s, mosq.p50_ms, mosq.p99_ms);
            std::printf("  ratio relay/mosquitto %.3f\n", ratio);
        }
        if (!*skip_mosquitto && !*skip_plugin) {
            std::printf("  mosquitto + twofold plugin (same):         %10.0f delivered/s  p50 %.3f ms  p99 %.3f ms\n",
                        with_plugin.delivered_per_s, with_plugin.p50_ms, with_plugin.p99_ms);
            std::printf("  ratio plugin/mosquitto %.3f\n", plugin_ratio);
            std::printf("  twofold over mosquitto (members' MQTT transport, plugin): %10.0f delivered/s  p50 %.3f ms  p99 %.3f ms\n",
                        over_broker.delivered_per_s, over_broker.p50_ms, over_broker.p99_ms);
            std::printf("  ratio twofold-over-mosquitto/mosquitto %.3f\n", twofold_ratio);
        }
    });
}

}  // namespace twofold::bench
