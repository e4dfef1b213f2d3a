// `twofold-bench relay --members N --msg-bytes B --seconds S [--json]`: twofold-relay against
// mosquitto (QoS 1, persistence on) on the same workload; see relay_bench.h and docs/relay.md.
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
    auto* cmd = app.add_subcommand("relay", "twofold-relay vs mosquitto (QoS 1, persistence on): group fan-out");
    auto w = std::make_shared<RelayWorkload>();
    auto json = std::make_shared<bool>(false);
    auto skip_mosquitto = std::make_shared<bool>(false);
    cmd->add_option("--members", w->members, "receiving members of the group")->capture_default_str()->check(CLI::Range(1, 10000));
    cmd->add_option("--msg-bytes", w->msg_bytes, "payload bytes per message (>= 8)")->capture_default_str()->check(CLI::Range(8, 256 * 1024));
    cmd->add_option("--seconds", w->seconds, "seconds of publishing")->capture_default_str()->check(CLI::Range(0.1, 3600.0));
    cmd->add_option("--window", w->window, "messages in flight (publisher and each receiver)")->capture_default_str()->check(CLI::Range(1, 65536));
    cmd->add_option("--relay", w->relay, "HOST:PORT of a running relay (default: start one on loopback)");
    cmd->add_option("--relay-fingerprint", w->relay_fingerprint, "with --relay: its TLS fingerprint");
    cmd->add_option("--gms-seed", w->gms_seed_hex, "with --relay: the seed of the GMS key it trusts (64 hex digits)");
    cmd->add_flag("--no-mosquitto", *skip_mosquitto, "measure the relay only");
    cmd->add_flag("--json", *json, "one JSON object");
    cmd->callback([w, json, skip_mosquitto, exit_status] {
        auto relay = run_twofold_relay(*w);
        if (!relay) {
            std::cerr << "twofold-bench relay: twofold-relay: " << relay.error().message << '\n';
            *exit_status = 1;
            return;
        }
        Measurement mosq;
        if (!*skip_mosquitto) {
            auto m = run_mosquitto(*w);
            if (!m) {
                std::cerr << "twofold-bench relay: mosquitto: " << m.error().message << '\n';
                *exit_status = 1;
                return;
            }
            mosq = *m;
        }
        const double ratio = mosq.delivered_per_s > 0 ? relay->delivered_per_s / mosq.delivered_per_s : 0;
        if (*json) {
            std::printf("{\"members\":%zu,\"msg_bytes\":%zu,\"delivered_per_s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                        "\"mosquitto_delivered_per_s\":%.0f,\"mosquitto_p50_ms\":%.3f,\"mosquitto_p99_ms\":%.3f,"
                        "\"ratio\":%.3f}\n",
                        w->members, w->msg_bytes, relay->delivered_per_s, relay->p50_ms, relay->p99_ms,
                        mosq.delivered_per_s, mosq.p50_ms, mosq.p99_ms, ratio);
            return;
        }
        std::printf("group of %zu receivers, %zu-byte messages, %.1f s\n", w->members, w->msg_bytes, w->seconds);
        std::printf("  twofold-relay (TLS 1.3, fsync per batch): %10.0f delivered/s  p50 %.3f ms  p99 %.3f ms  (%llu published)\n",
                    relay->delivered_per_s, relay->p50_ms, relay->p99_ms,
                    static_cast<unsigned long long>(relay->published));
        if (!*skip_mosquitto) {
            std::printf("  mosquitto (TCP, QoS 1, persistence on):   %10.0f delivered/s  p50 %.3f ms  p99 %.3f ms\n",
                        mosq.delivered_per_s, mosq.p50_ms, mosq.p99_ms);
            std::printf("  ratio %.3f\n", ratio);
        }
    });
}

}  // namespace twofold::bench
