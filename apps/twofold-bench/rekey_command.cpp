// `twofold-bench rekey --members N`: gms::GmsCore driven in-process with N logged-in members of
// one group (real connections would be too many at N = 100,000). Each timed renewal and each
// removal is one batch; from what that batch hands out the benchmark measures, for the rekey:
//   push     — what the GMS does today: one frame per member, each through its own TLS stream;
//   publish  — once per group: one publish_rekey frame to the relay, whatever N.
// Bytes are frame bytes (4-byte length prefix + payload). CPU time is the GMS thread's
// (CLOCK_THREAD_CPUTIME_ID): the core's batch (LKH, signature, encoding; the same in both modes)
// plus the sends, where each send's TLS record protection is modelled by one AEAD seal of its
// bytes (XChaCha20-Poly1305, one primitive for both modes) into a reused buffer.
#include "rekey_command.h"

#include <time.h>

#include <iostream>
#include <map>
#include <memory>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "gms/core.h"
#include "measure.h"
#include "twofold/v1/relay.pb.h"

namespace twofold::bench {

namespace {

constexpr std::uint64_t kStartMs = 1'800'000'000'000;  // 2027
constexpr std::uint32_t kIntervalSeconds = 3600;
constexpr std::size_t kFramePrefixBytes = 4;
constexpr std::size_t kAddsPerBatch = 2048;

struct Options {
    std::size_t members = 10'000;
    int rounds = 5;
    bool json = false;
};

double thread_cpu_us() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// One send's cost on the wire: its frame, and the record protection of those bytes.
class Sender {
  public:
    Sender() {
        const auto key = crypto::random_array<crypto::kAeadKeyBytes>();  // a benchmark's, not a secret
        key_.assign(key.begin(), key.end());
    }
    std::uint64_t send(ByteView payload) {
        const std::size_t n = payload.size() + kFramePrefixBytes;
        frame_.resize(n);
        std::copy(payload.begin(), payload.end(), frame_.begin() + kFramePrefixBytes);
        sealed_.resize(n + crypto::kAeadTagBytes);
        (void)crypto::aead_encrypt(key_, nonce_, frame_, {}, sealed_);  // libsodium: not optimised away
        return n;
    }

  private:
    Bytes key_;
    crypto::AeadNonce nonce_{};
    Bytes frame_;
    Bytes sealed_;
};

struct Sample {
    std::uint64_t push_bytes = 0, publish_bytes = 0, push_sends = 0;
    double core_us = 0, push_send_us = 0, publish_send_us = 0;
};

class Simulation {
  public:
    explicit Simulation(std::size_t members) : core_(config(members), crypto::SigningKey::generate(), {}) {
        ids_.reserve(members);
        for (std::size_t i = 0; i < members; ++i) ids_.push_back(join_gms("m" + std::to_string(i)));
    }

    Status build_group() {
        group_ = crypto::random_array<16>();
        v1::GmsRequest create;
        auto* c = create.mutable_create_group();
        c->set_group_id(group_.data(), group_.size());
        c->mutable_policy()->set_rn2_interval_seconds(kIntervalSeconds);
        if (auto s = batch(ids_[0], {create}); !s) return s;
        for (std::size_t at = 1; at < ids_.size(); at += kAddsPerBatch) {
            std::vector<v1::GmsRequest> adds;
            for (std::size_t i = at; i < std::min(ids_.size(), at + kAddsPerBatch); ++i) adds.push_back(add(i));
            if (auto s = batch(ids_[0], adds); !s) return s;
        }
        const auto* g = core_.group(group_);
        if (g == nullptr || g->members.size() != ids_.size()) {
            return make_error(Errc::internal, "the group did not reach " + std::to_string(ids_.size()) + " members");
        }
        return {};
    }

    // The next timed renewal: the clock moves past the interval, the batch ends.
    Sample renewal() {
        now_ += std::uint64_t{kIntervalSeconds} * 1000 + 1;
        std::vector<Outgoing> out;
        const double t0 = thread_cpu_us();
        core_.end_batch(now_, out);
        const double t1 = thread_cpu_us();
        return measure(out, t1 - t0);
    }

    // Removes the most recently added member that is still there.
    Sample removal() {
        const std::size_t victim = ids_.size() - 1 - removed_++;
        v1::GmsRequest r;
        r.set_request_id(++request_);
        auto* n = r.mutable_member_notification();
        n->set_group_id(group_.data(), group_.size());
        n->set_change(v1::MemberNotification::CHANGE_REMOVE);
        n->set_account("m" + std::to_string(victim));
        std::vector<Outgoing> out;
        const double t0 = thread_cpu_us();
        (void)core_.handle(ids_[0], r, now_, out);
        core_.end_batch(now_, out);
        const double t1 = thread_cpu_us();
        return measure(out, t1 - t0);
    }

  private:
    static gms::Config config(std::size_t members) {
        gms::Config c;
        c.max_members = static_cast<std::uint32_t>(members + 1);
        c.requests_per_second = 1e12;  // one simulated owner sends every add
        c.request_burst = 1e12;
        return c;
    }

    using Outgoing = gms::Outgoing;

    // Registers and logs in one account on its own client; the password check is the server's.
    gms::ClientId join_gms(const std::string& name) {
        const gms::ClientId client = next_client_++;
        core_.connected(client, "192.0.2.1");
        const auto identity = crypto::SigningKey::generate();
        v1::GmsRequest r;
        r.set_request_id(++request_);
        r.mutable_register_()->set_account(name);
        r.mutable_register_()->set_password("bench-password");
        r.mutable_register_()->set_identity_key(
            std::string(identity.public_key().begin(), identity.public_key().end()));
        std::vector<Outgoing> out;
        if (auto job = core_.handle(client, r, now_, out)) core_.finish_register(*job, std::string("$stand-in"), out);
        // A session of its own, as a member logs in after registering.
        const gms::ClientId session = next_client_++;
        core_.connected(session, "192.0.2.1");
        v1::GmsRequest login;
        login.set_request_id(++request_);
        login.mutable_login()->set_account(name);
        login.mutable_login()->set_password("bench-password");
        if (auto job = core_.handle(session, login, now_, out)) core_.finish_login(*job, true, now_, out);
        return session;
    }

    v1::GmsRequest add(std::size_t i) const {
        v1::GmsRequest r;
        auto* n = r.mutable_member_notification();
        n->set_group_id(group_.data(), group_.size());
        n->set_change(v1::MemberNotification::CHANGE_ADD);
        n->set_account("m" + std::to_string(i));
        return r;
    }

    Status batch(gms::ClientId by, std::vector<v1::GmsRequest> requests) {
        std::vector<Outgoing> out;
        for (auto& r : requests) {
            r.set_request_id(++request_);
            (void)core_.handle(by, r, now_, out);
        }
        core_.end_batch(now_, out);
        (void)core_.take_journal();
        (void)core_.take_publications();
        for (const auto& o : out) {
            v1::GmsResponse answer;
            if (o.to == by && answer.ParseFromArray(o.payload->data(), static_cast<int>(o.payload->size())) &&
                answer.has_error()) {
                return make_error(Errc::internal, "setting up the group: " + answer.error().message());
            }
        }
        return {};
    }

    // The rekey's sends in each mode: every member's push frame, or the one publication.
    Sample measure(const std::vector<Outgoing>& out, double core_us) {
        (void)core_.take_journal();
        Sample s;
        s.core_us = core_us;
        const auto publications = core_.take_publications();
        const double t0 = thread_cpu_us();
        for (const auto& o : out) {
            v1::GmsResponse r;
            // Only the rekey pushes count: answers and removal notices go direct in both modes.
            if (!r.ParseFromArray(o.payload->data(), static_cast<int>(o.payload->size())) || !r.has_signed_rekey()) {
                continue;
            }
            s.push_bytes += sender_.send(*o.payload);
            ++s.push_sends;
        }
        const double t1 = thread_cpu_us();
        for (const auto& p : publications) {
            v1::RelayRequest request;
            request.set_request_id(++request_);
            request.mutable_publish_rekey()->set_signed_rekey(p->data(), p->size());
            const std::string bytes = request.SerializeAsString();
            s.publish_bytes += sender_.send(as_bytes(bytes));
        }
        const double t2 = thread_cpu_us();
        s.push_send_us = t1 - t0;
        s.publish_send_us = t2 - t1;
        return s;
    }

    gms::GmsCore core_;
    std::vector<gms::ClientId> ids_;
    gms::GroupId group_{};
    std::uint64_t now_ = kStartMs;
    std::uint64_t request_ = 0;
    gms::ClientId next_client_ = 1;
    std::size_t removed_ = 0;
    Sender sender_;
};

void report(const Options& o, const std::string& operation, const std::vector<Sample>& samples) {
    auto med = [&](auto field) {
        std::vector<double> v;
        for (const auto& s : samples) v.push_back(static_cast<double>(field(s)));
        return median(v);
    };
    const double push_bytes = med([](const Sample& s) { return s.push_bytes; });
    const double publish_bytes = med([](const Sample& s) { return s.publish_bytes; });
    const double core_us = med([](const Sample& s) { return s.core_us; });
    const double push_cpu = core_us + med([](const Sample& s) { return s.push_send_us; });
    const double publish_cpu = core_us + med([](const Sample& s) { return s.publish_send_us; });
    const double byte_ratio = publish_bytes > 0 ? push_bytes / publish_bytes : 0;
    const double cpu_ratio = publish_cpu > 0 ? push_cpu / publish_cpu : 0;
    if (o.json) {
        std::cout << JsonLine()
                         .add("bench", std::string("rekey"))
                         .add("operation", operation)
                         .add("members", static_cast<std::uint64_t>(o.members))
                         .add("rounds", static_cast<std::uint64_t>(samples.size()))
                         .add("push_sends", static_cast<std::uint64_t>(med([](const Sample& s) { return s.push_sends; })))
                         .add("push_bytes", push_bytes)
                         .add("publish_bytes", publish_bytes)
                         .add("bytes_ratio", byte_ratio)
                         .add("core_cpu_us", core_us)
                         .add("push_cpu_us", push_cpu)
                         .add("publish_cpu_us", publish_cpu)
                         .add("cpu_ratio", cpu_ratio)
                         .str()
                  << "\n";
    } else {
        std::cout << operation << " at N=" << o.members << ": push " << push_bytes << " B, publish " << publish_bytes
                  << " B (" << byte_ratio << "x fewer); CPU push " << push_cpu << " us, publish " << publish_cpu
                  << " us (" << cpu_ratio << "x)\n";
    }
}

int run(const Options& o) {
    if (o.members < 2 || o.members > 100'000 || o.rounds < 1) {
        std::cerr << "twofold-bench rekey: --members must be 2..100000 and --rounds at least 1\n";
        return 2;
    }
    Simulation sim(o.members);
    if (auto s = sim.build_group(); !s) {
        std::cerr << "twofold-bench rekey: " << s.error().message << "\n";
        return 1;
    }
    std::vector<Sample> renewals;
    std::vector<Sample> removals;
    for (int i = 0; i < o.rounds; ++i) {
        renewals.push_back(sim.renewal());
        removals.push_back(sim.removal());
    }
    report(o, "renewal", renewals);
    report(o, "removal", removals);
    return 0;
}

}  // namespace

void add_rekey_command(CLI::App& app, int* exit_status) {
    auto* cmd = app.add_subcommand("rekey", "rekey delivery: per-member push against once-per-group publication");
    auto o = std::make_shared<Options>();
    cmd->add_option("--members", o->members, "members in the group (2..100000)")->capture_default_str();
    cmd->add_option("--rounds", o->rounds, "renewals and removals measured (medians reported)")->capture_default_str();
    cmd->add_flag("--json", o->json, "one JSON line per operation");
    cmd->callback([o, exit_status] { *exit_status = run(*o); });
}

}  // namespace twofold::bench
