// `twofold-bench relay`: one workload (a group of N receiving members, one publisher, B-byte
// messages for S seconds, every message delivered to all N) run through twofold-relay, through
// mosquitto, and through mosquitto with twofold-mosquitto-auth.so, measured the same way: delivered envelopes per second and the latency from
// publish to delivery (send time travels in the payload's first 8 bytes; one process, one clock).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "crypto/bytes.h"
#include "proc/mosquitto_server.h"

namespace twofold::bench {

struct RelayWorkload {
    std::size_t members = 10;       // receivers; the publisher is one more member
    std::size_t msg_bytes = 1024;
    double seconds = 5;
    std::size_t window = 256;       // publishes in flight, and deliveries in flight per receiver
    std::string relay;              // HOST:PORT of a running relay; empty: start one on loopback
    std::string relay_fingerprint;  // for --relay
    std::string gms_seed_hex;       // for --relay: the GMS signing seed, to sign statements
};

struct Measurement {
    std::uint64_t published = 0;
    std::uint64_t delivered = 0;
    double delivered_per_s = 0;
    double p50_ms = 0;
    double p99_ms = 0;
};

using SteadyClock = std::chrono::steady_clock;

inline std::uint64_t steady_now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count());
}

// A payload of `bytes` bytes (at least 8) carrying the current time.
Bytes stamped_payload(std::size_t bytes);
// The latency in ms of a payload made by stamped_payload; 0 if too short.
double latency_ms(ByteView payload);
// Fills the rates and percentiles of `m` from the latencies and the measured interval.
void summarise(Measurement& m, std::vector<double>& latencies_ms, double elapsed_s);

Result<Measurement> run_twofold_relay(const RelayWorkload& w);
// `plugin`: the path of twofold-mosquitto-auth.so to load; empty: mosquitto alone.
Result<Measurement> run_mosquitto(const RelayWorkload& w, const std::string& plugin);
// The members' own transport (member_client::MqttTransport: persistent sessions, TLS pinned,
// PUBACK after the handler) carrying twofold envelopes through mosquitto with the plugin.
Result<Measurement> run_twofold_mqtt(const RelayWorkload& w, const std::string& plugin);
// The broker every mosquitto run uses: persistence on (saved once a second), TLS, no log.
proc::MosquittoServer::Options bench_broker_options(const RelayWorkload& w, const std::string& plugin,
                                                    const std::string& gms_key_hex);

}  // namespace twofold::bench
