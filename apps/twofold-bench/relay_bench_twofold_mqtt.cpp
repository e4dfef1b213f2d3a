// "twofold over mosquitto" in `twofold-bench relay`: the members' own transport
// (member_client::MqttTransport) against the same broker as the other mosquitto rows, with
// twofold-mosquitto-auth.so. Each receiver is a member's receiving session — persistent, TLS 1.3
// pinned by fingerprint, its PUBACK written only after its handler returned — and the publisher
// sends twofold envelopes (relay.proto's Envelope around the pool's real group messages) after
// presenting its GMS-signed statement, as a member does. The handler only counts (the member's
// store commit is not part of what a broker costs; twofold-relay's row does not commit either).
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "crypto/hex.h"
#include "member_client/mqtt_transport.h"
#include "relay_bench.h"
#include "relay_bench_envelopes.h"
#include "wire/message.h"

#include <sodium.h>

namespace twofold::bench {

namespace {

constexpr std::size_t kGroupIdBytes = 16;
constexpr auto kDrainTimeout = std::chrono::seconds(30);
constexpr std::chrono::milliseconds kReceiveSlice{100};

struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::uint64_t> sent_ns;  // by publish index
    std::vector<double> latencies;
    std::uint64_t delivered = 0;
    SteadyClock::time_point last_delivery{};
};

struct Receiver {
    std::unique_ptr<member_client::MqttTransport> transport;
    ReceiveCounter counter;
};

}  // namespace

Result<Measurement> run_twofold_mqtt(const RelayWorkload& w, const std::string& plugin) {
    const auto gms = crypto::SigningKey::generate();
    std::string group(kGroupIdBytes, '\0');
    randombytes_buf(group.data(), group.size());
    std::vector<BenchIdentity> identities(w.members + 1);  // the publisher is the last
    const EnvelopePool pool(group, identities.back().key, w.msg_bytes);
    const auto options = bench_broker_options(w, plugin, crypto::to_hex(gms.public_key()));
    proc::MosquittoServer broker(options);
    if (!broker.ready()) return make_error(Errc::unavailable, "mosquitto did not start (apt-get install mosquitto)");

    member_client::MqttOptions o;
    o.host = "127.0.0.1";
    o.port = static_cast<std::uint16_t>(broker.port());
    o.fingerprint = broker.certificate_fingerprint();
    o.broker_name = options.broker_name;
    auto statement_of = [&](const BenchIdentity& who) {
        return wire::parse_message<v1::MembershipStatement>(as_bytes(who.statement(gms, group)));
    };

    Shared shared;
    shared.sent_ns.reserve(1 << 22);
    std::vector<Receiver> receivers(w.members);
    for (std::size_t i = 0; i < w.members; ++i) {
        auto t = member_client::MqttTransport::connect(o, identities[i].key);
        if (!t) return t.error();
        Receiver& r = receivers[i];
        r.transport = std::move(*t);
        r.transport->set_handler([&shared, &r](const Result<v1::Envelope>& e) -> Status {
            if (!e) return e.error();
            const std::uint64_t now = steady_now_ns();
            const std::int64_t index = r.counter.publish_index(as_bytes(e->payload()));
            std::lock_guard lock(shared.mu);
            if (index >= 0 && static_cast<std::size_t>(index) < shared.sent_ns.size()) {
                shared.latencies.push_back(static_cast<double>(now - shared.sent_ns[static_cast<std::size_t>(index)]) / 1e6);
            }
            ++shared.delivered;
            shared.last_delivery = SteadyClock::now();
            shared.cv.notify_all();
            return {};
        });
        auto statement = statement_of(identities[i]);
        if (!statement) return statement.error();
        if (auto s = r.transport->subscribe(as_bytes(group), *statement); !s) return s.error();
    }
    auto publisher = member_client::MqttTransport::connect(o, identities.back().key);
    if (!publisher) return publisher.error();
    auto publisher_statement = statement_of(identities.back());
    if (!publisher_statement) return publisher_statement.error();

    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    std::vector<Status> failures(w.members);
    for (std::size_t i = 0; i < w.members; ++i) {
        threads.emplace_back([&, i] {
            while (!stop) {
                Status s = receivers[i].transport->receive(kReceiveSlice);
                if (!s && s.error().code != Errc::timeout) {
                    failures[i] = s;
                    return;
                }
            }
        });
    }
    struct Joiner {
        std::atomic<bool>& stop;
        std::vector<std::thread>& threads;
        ~Joiner() {
            stop = true;
            for (auto& t : threads) t.join();
        }
    } joiner{stop, threads};

    Measurement result;
    const auto first = SteadyClock::now();
    const auto end = first + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(w.seconds));
    while (SteadyClock::now() < end) {
        {
            std::lock_guard lock(shared.mu);
            shared.sent_ns.push_back(steady_now_ns());
        }
        const std::string& message = pool.for_publish(result.published);
        if (auto s = (*publisher)->publish_window(as_bytes(group), *publisher_statement, v1::ENVELOPE_TYPE_GROUP_MESSAGE,
                                                  as_bytes(message), w.window);
            !s) {
            return s.error();
        }
        ++result.published;
    }
    if (auto s = (*publisher)->wait_published(); !s) return s.error();
    std::unique_lock lock(shared.mu);
    shared.cv.wait_for(lock, kDrainTimeout, [&] { return shared.delivered >= result.published * w.members; });
    std::vector<double> latencies = std::move(shared.latencies);
    const double elapsed = std::chrono::duration<double>(shared.last_delivery - first).count();
    lock.unlock();
    for (const auto& f : failures) {
        if (!f) return f.error();
    }
    summarise(result, latencies, elapsed);
    if (result.delivered < result.published * w.members) {
        return make_error(Errc::timeout, std::to_string(result.published * w.members - result.delivered) +
                                             " deliveries missing after the drain");
    }
    return result;
}

}  // namespace twofold::bench
