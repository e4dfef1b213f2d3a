#include "gms_command.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "crypto/random.h"
#include "crypto/sign.h"
#include "failover_measure.h"
#include "measure.h"
#include "net/client_pool.h"
#include "net/endpoint.h"
#include "proc/child_process.h"
#include "proc/postgres_server.h"
#include "twofold/v1/gms.pb.h"

namespace twofold::bench {

namespace {

using namespace std::chrono_literals;

struct GmsOptions {
    std::size_t members = 1000;
    std::size_t groups = 20;
    std::size_t changes = 5000;
    std::string gms;          // HOST:PORT of a running GMS; empty: start one
    std::string fingerprint;  // with --gms
    std::size_t in_flight = 4;  // changes each group leader keeps outstanding
    bool ack = true;
    bool json = false;
    // "postgresql": also measure the GMS on a private PostgreSQL started for the run; a
    // postgresql:// URL: on that database. Either way SQLite is measured in the same run.
    std::string store;
    bool failover = false;   // with --store: also the failover time of two processes on it
    double lease_ttl_s = 3;  // their --lease-ttl
};

std::string self_dir() {
    std::error_code ec;
    return std::filesystem::read_symlink("/proc/self/exe", ec).parent_path().string();
}

double rss_mib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (status >> key) {
        if (key == "VmRSS:") {
            double kib = 0;
            status >> kib;
            return kib / 1024;
        }
        std::getline(status, key);
    }
    return 0;
}

// CPU seconds (user + system) a process has used so far, from /proc.
double cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int k = 3; k <= 15 && rest >> field; ++k) {
        if (k == 14 || k == 15) ticks += std::stod(field);  // utime, stime
    }
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    const auto s = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return s(u.ru_utime) + s(u.ru_stime);
}

// The load: N connections, one per member, G groups each led by its first member. Each leader
// keeps K membership changes in flight, each toggling one of its last K members out and in;
// every member acknowledges every rekey it receives, as the protocol asks. Delivery is timed
// from the answer to a change until every member that is never toggled holds the rekey of that
// membership epoch (changes in one batch share an epoch and a rekey).
class GmsLoad {
  public:
    GmsLoad(const GmsOptions& o, net::Endpoint endpoint, std::string fingerprint, pid_t gms_pid)
        : o_(o),
          gms_pid_(gms_pid),
          pool_(std::move(endpoint), std::move(fingerprint), [this](std::size_t i, ByteView p) { on_frame(i, p); }) {
        const auto gid = crypto::random_array<8>();
        prefix_ = std::string(gid.begin(), gid.end());
    }

    Status run() {
        const std::size_t n = o_.members, per_group = n / o_.groups;
        if (per_group < 2) return make_error(Errc::invalid_argument, "need at least two members per group");
        if (auto first = pool_.connect(n, 120s); !first) return first.error();
        // Register, then log in, every member.
        for (std::size_t i = 0; i < n; ++i) {
            v1::GmsRequest r;
            auto* reg = r.mutable_register_();
            reg->set_account(account(i));
            reg->set_password("bench-password");
            const auto key = crypto::SigningKey::generate().public_key();
            reg->set_identity_key(std::string(key.begin(), key.end()));
            send(i, r);
        }
        if (auto s = wait_answers(n, "register"); !s) return s;
        for (std::size_t i = 0; i < n; ++i) {
            v1::GmsRequest r;
            r.mutable_login()->set_account(account(i));
            r.mutable_login()->set_password("bench-password");
            send(i, r);
        }
        if (auto s = wait_answers(n, "login"); !s) return s;
        // Groups, and their members (set-up, not measured).
        groups_.resize(o_.groups);
        for (std::size_t g = 0; g < o_.groups; ++g) {
            Group& gr = groups_[g];
            gr.id = group_id(g);
            gr.leader = g * per_group;
            for (std::size_t k = 0; k < per_group; ++k) gr.members.push_back(g * per_group + k);
            v1::GmsRequest r;
            r.mutable_create_group()->set_group_id(gr.id);
            r.mutable_create_group()->mutable_policy()->set_rn2_interval_seconds(3600);
            send(gr.leader, r);
        }
        if (auto s = wait_answers(o_.groups, "create group"); !s) return s;
        std::size_t adds = 0;
        for (Group& gr : groups_) {
            for (std::size_t k = 1; k < gr.members.size(); ++k, ++adds) send(gr.leader, change(gr, gr.members[k], true));
        }
        if (auto s = wait_answers(adds, "add members"); !s) return s;

        // The measured part.
        measuring_ = true;
        const auto start = Clock::now();
        const double gms_cpu0 = gms_pid_ > 0 ? cpu_seconds(gms_pid_) : 0;
        const double own_cpu0 = own_cpu_seconds();
        for (Group& gr : groups_) {
            gr.stable = gr.members.size() - std::min(o_.in_flight, gr.members.size() - 1);
            for (std::size_t k = gr.stable; k < gr.members.size(); ++k) next_change(gr, gr.members[k]);
        }
        const auto done = [&] { return answered_ >= o_.changes && pending_deliveries_ == 0; };
        if (auto s = pool_.run_until(done, 600s); !s) return s;
        elapsed_s_ = std::chrono::duration<double>(last_answer_ - start).count();
        const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
        gms_cpu_s_ = gms_pid_ > 0 ? cpu_seconds(gms_pid_) - gms_cpu0 : 0;
        own_cpu_s_ = own_cpu_seconds() - own_cpu0;
        wall_s_ = wall_s;
        return {};
    }

    double changes_per_s() const { return static_cast<double>(answered_) / elapsed_s_; }
    // Rekeys the measured changes produced (each batch of changes to a group shares one).
    std::size_t rekeys() const { return delivery_ms_.size(); }
    // CPU over the measured part, in cores' worth and per change: what the GMS and this load
    // generator cost, independent of how busy the machine is.
    double gms_cpu_share() const { return gms_cpu_s_ / wall_s_; }
    double own_cpu_share() const { return own_cpu_s_ / wall_s_; }
    double gms_cpu_us_per_change() const { return 1e6 * gms_cpu_s_ / static_cast<double>(answered_); }
    double own_cpu_us_per_change() const { return 1e6 * own_cpu_s_ / static_cast<double>(answered_); }
    const std::vector<double>& delivery_ms() const { return delivery_ms_; }

  private:
    struct Group {
        std::string id;
        std::size_t leader = 0;
        std::vector<std::size_t> members;
        std::size_t stable = 0;                        // members[0..stable) are never toggled
        std::map<std::uint64_t, std::size_t> in_flight;  // request id -> toggled member
        std::map<std::size_t, bool> out;                 // toggled member -> currently removed
        // membership epoch -> (ack time, members still to receive the rekey)
        std::map<std::uint64_t, std::pair<Clock::time_point, std::size_t>> awaiting;
        std::map<std::uint64_t, Clock::time_point> last_receipt;
        std::set<std::uint64_t> settled;
    };

    static std::string account(std::size_t i) { return "bench" + std::to_string(i); }
    std::string group_id(std::size_t g) const {
        std::string id = prefix_;
        for (int s = 56; s >= 0; s -= 8) id.push_back(static_cast<char>(static_cast<std::uint64_t>(g) >> s));
        return id;
    }

    v1::GmsRequest change(const Group& gr, std::size_t member, bool add) {
        v1::GmsRequest r;
        auto* n = r.mutable_member_notification();
        n->set_group_id(gr.id);
        n->set_change(add ? v1::MemberNotification::CHANGE_ADD : v1::MemberNotification::CHANGE_REMOVE);
        n->set_account(account(member));
        return r;
    }

    void send(std::size_t conn, v1::GmsRequest& r) {
        r.set_request_id(++request_id_);
        owner_of_[request_id_] = conn;
        const std::string bytes = r.SerializeAsString();
        pool_.send(conn, as_bytes(bytes));
    }
    void send(std::size_t conn, v1::GmsRequest&& r) { send(conn, r); }

    Status wait_answers(std::size_t count, const char* what) {
        answers_ = 0;
        auto s = pool_.run_until([&] { return answers_ >= count || !error_.empty(); }, 300s);
        if (!error_.empty()) return make_error(Errc::internal, std::string(what) + ": " + error_);
        return s;
    }

    void next_change(Group& gr, std::size_t member) {
        if (issued_ >= o_.changes) return;
        ++issued_;
        bool& out = gr.out[member];
        out = !out;
        v1::GmsRequest r = change(gr, member, !out);
        send(gr.leader, r);
        gr.in_flight[request_id_] = member;
    }

    void on_frame(std::size_t conn, ByteView payload) {
        v1::GmsResponse r;
        if (!r.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
            error_ = "unparseable response";
            return;
        }
        if (r.request_id() != 0) {
            if (r.has_error()) {
                if (error_.empty()) error_ = r.error().message();
                return;
            }
            ++answers_;
            if (!measuring_) return;
            if (r.has_epoch() && groups_by_leader(conn) != nullptr) {
                Group& gr = *groups_by_leader(conn);
                const auto flight = gr.in_flight.find(r.request_id());
                if (flight == gr.in_flight.end()) return;  // an ack's answer
                const std::size_t member = flight->second;
                gr.in_flight.erase(flight);
                const auto now = Clock::now();
                last_answer_ = now;
                ++answered_;
                // The first answer of an epoch starts its clock; the stable members must all
                // receive its rekey.
                if (!gr.awaiting.contains(r.epoch()) && !gr.settled.contains(r.epoch())) {
                    gr.awaiting[r.epoch()] = {now, gr.stable};
                    pending_deliveries_ += gr.stable;
                    settle(gr, r.epoch());
                }
                next_change(gr, member);
            }
            return;
        }
        if (!r.has_signed_rekey()) return;
        const v1::Rekey& rekey = r.signed_rekey().rekey();
        Group* gr = group_of(rekey.group_id());
        if (gr == nullptr) return;
        if (o_.ack) {  // request id 0: acknowledged without an answer
            v1::GmsRequest ack;
            ack.mutable_rekey_ack()->set_group_id(rekey.group_id());
            ack.mutable_rekey_ack()->set_epoch(rekey.epoch());
            const std::string bytes = ack.SerializeAsString();
            pool_.send(conn, as_bytes(bytes));
        }
        if (!measuring_) return;
        const auto pos = std::find(gr->members.begin(), gr->members.end(), conn) - gr->members.begin();
        if (static_cast<std::size_t>(pos) >= gr->stable) return;  // toggled members are not counted
        const std::uint64_t e = rekey.membership_epoch();
        gr->last_receipt[e] = Clock::now();
        ++early_[{gr, e}];
        settle(*gr, e);
    }

    // Matches receipts with the ack they belong to (a rekey can overtake its ack on the wire).
    void settle(Group& gr, std::uint64_t epoch) {
        const auto it = gr.awaiting.find(epoch);
        if (it == gr.awaiting.end()) return;
        auto& count = early_[{&gr, epoch}];
        const std::size_t take = std::min(count, it->second.second);
        it->second.second -= take;
        pending_deliveries_ -= take;
        count -= take;
        if (it->second.second == 0) {
            const double ms =
                std::chrono::duration<double, std::milli>(gr.last_receipt[epoch] - it->second.first).count();
            delivery_ms_.push_back(std::max(0.0, ms));
            gr.awaiting.erase(it);
            gr.last_receipt.erase(epoch);
            gr.settled.insert(epoch);
            early_.erase({&gr, epoch});
        }
    }

    Group* groups_by_leader(std::size_t conn) {
        for (Group& g : groups_) {
            if (g.leader == conn) return &g;
        }
        return nullptr;
    }
    Group* group_of(const std::string& id) {
        for (Group& g : groups_) {
            if (g.id == id) return &g;
        }
        return nullptr;
    }

    GmsOptions o_;
    pid_t gms_pid_;
    net::ClientPool pool_;
    std::string prefix_;
    std::vector<Group> groups_;
    std::map<std::uint64_t, std::size_t> owner_of_;
    std::map<std::pair<Group*, std::uint64_t>, std::size_t> early_;
    std::uint64_t request_id_ = 0;
    std::size_t answers_ = 0;
    std::size_t issued_ = 0;
    std::size_t answered_ = 0;
    std::size_t pending_deliveries_ = 0;
    bool measuring_ = false;
    std::string error_;
    Clock::time_point last_answer_;
    double elapsed_s_ = 0;
    double gms_cpu_s_ = 0;
    double own_cpu_s_ = 0;
    double wall_s_ = 1;
    std::vector<double> delivery_ms_;
};

// One run of the workload against a GMS on `store` ("" for SQLite in its data directory).
struct Measured {
    double changes_per_s = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    double rss_mib = 0;
    std::size_t rekeys = 0;
    double gms_cpu_cores = 0;
    double bench_cpu_cores = 0;
    double gms_cpu_us_per_change = 0;
    double bench_cpu_us_per_change = 0;
};

Result<Measured> measure(const GmsOptions& o, const std::string& store) {
    std::unique_ptr<proc::ChildProcess> server;
    std::filesystem::path dir;
    net::Endpoint endpoint;
    std::string fingerprint = o.fingerprint;
    if (o.gms.empty()) {
        dir = std::filesystem::temp_directory_path() / ("twofold-bench-gms-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        // Argon2id at its minimum: registering a thousand members must not take minutes; the
        // measured part (membership changes) does not hash passwords. Every member connects from
        // 127.0.0.1, and all connect before the first registers: lift the per-address cap and
        // the authentication deadline.
        std::vector<std::string> argv = {
            self_dir() + "/twofold-gms", "--data", dir.string(), "--listen", "127.0.0.1:0", "--password-hashing",
            "minimum", "--log-level", "warn", "--requests-per-second", "1000000", "--max-members",
            std::to_string(o.members + 10), "--max-connections-per-address", std::to_string(o.members + 10),
            "--auth-timeout", "600"};
        if (!store.empty()) {
            argv.push_back("--store");
            argv.push_back(store);
        }
        server = std::make_unique<proc::ChildProcess>(argv);
        const std::string line = server->first_line();
        auto ep = net::parse_endpoint(proc::word_after(line, "on"), "gms");
        if (!ep) return make_error(Errc::unavailable, "twofold-gms did not start (is it beside twofold-bench?)");
        endpoint = *ep;
        fingerprint = proc::word_after(line, "tls-fingerprint");
    } else {
        auto ep = net::parse_endpoint(o.gms, "--gms");
        if (!ep) return make_error(Errc::invalid_argument, ep.error().message);
        endpoint = *ep;
    }
    GmsLoad load(o, endpoint, fingerprint, server ? server->pid() : 0);
    const Status s = load.run();
    Measured m;
    m.rss_mib = server ? rss_mib(server->pid()) : 0;
    if (server) {
        server->kill(SIGTERM);
        std::filesystem::remove_all(dir);
    }
    if (!s) return s.error();
    const auto& lat = load.delivery_ms();
    m.changes_per_s = load.changes_per_s();
    m.p50_ms = quantile(lat, 0.5);
    m.p99_ms = quantile(lat, 0.99);
    m.rekeys = load.rekeys();
    m.gms_cpu_cores = load.gms_cpu_share();
    m.bench_cpu_cores = load.own_cpu_share();
    m.gms_cpu_us_per_change = load.gms_cpu_us_per_change();
    m.bench_cpu_us_per_change = load.own_cpu_us_per_change();
    return m;
}

// The workload's shape, the start of every JSON line.
JsonLine workload_json(const GmsOptions& o) {
    JsonLine line;
    line.add("members", std::uint64_t{o.members})
        .add("groups", std::uint64_t{o.groups})
        .add("changes", std::uint64_t{o.changes})
        .add("in_flight", std::uint64_t{o.in_flight});
    return line;
}

// SQLite and PostgreSQL in one run, the ratio against SQLite (the baseline).
int compare_stores(const GmsOptions& o) {
    std::optional<proc::PostgresServer> private_server;
    std::string url = o.store;
    if (o.store == "postgresql") {
        auto started = proc::PostgresServer::start();
        if (!started) {
            std::cerr << "twofold-bench: private PostgreSQL: " << started.error().message << '\n';
            return 1;
        }
        private_server.emplace(std::move(*started));
        if (auto db = private_server->create_database("bench"); !db) {
            std::cerr << "twofold-bench: " << db.error().message << '\n';
            return 1;
        }
        url = private_server->url("bench");
    }
    auto sqlite = measure(o, "");
    if (!sqlite) {
        std::cerr << "twofold-bench: sqlite: " << sqlite.error().message << '\n';
        return 1;
    }
    auto postgres = measure(o, url);
    if (!postgres) {
        std::cerr << "twofold-bench: postgresql: " << postgres.error().message << '\n';
        return 1;
    }
    const double ratio = sqlite->changes_per_s > 0 ? postgres->changes_per_s / sqlite->changes_per_s : 0;
    std::vector<double> failovers;
    if (o.failover) {
        // A database of its own: the cluster's shared identity and lease start fresh.
        std::string failover_url = url;
        if (private_server) {
            if (auto db = private_server->create_database("failover"); !db) {
                std::cerr << "twofold-bench: " << db.error().message << '\n';
                return 1;
            }
            failover_url = private_server->url("failover");
        }
        auto measured = measure_failover(self_dir() + "/twofold-gms", failover_url, 5, o.lease_ttl_s);
        if (!measured) {
            std::cerr << "twofold-bench: failover: " << measured.error().message << '\n';
            return 1;
        }
        failovers = *measured;
    }
    const double failover_median = failovers.empty() ? 0 : median(failovers);
    if (o.json) {
        JsonLine line = workload_json(o);
        if (o.failover) {
            line.add("failover_ms_median", failover_median)
                .add("failover_ms_max", *std::max_element(failovers.begin(), failovers.end()))
                .add("lease_ttl_s", o.lease_ttl_s);
        }
        std::cout << line
                         .add("sqlite_changes_per_s", sqlite->changes_per_s)
                         .add("sqlite_rekey_delivery_p50_ms", sqlite->p50_ms)
                         .add("sqlite_rekey_delivery_p99_ms", sqlite->p99_ms)
                         .add("postgresql_changes_per_s", postgres->changes_per_s)
                         .add("postgresql_rekey_delivery_p50_ms", postgres->p50_ms)
                         .add("postgresql_rekey_delivery_p99_ms", postgres->p99_ms)
                         .add("postgresql_over_sqlite_changes", ratio)
                         .add("postgresql_gms_cpu_us_per_change", postgres->gms_cpu_us_per_change)
                         .add("sqlite_gms_cpu_us_per_change", sqlite->gms_cpu_us_per_change)
                         .str()
                  << '\n';
    } else {
        std::cout << "gms: " << o.members << " members in " << o.groups << " groups, " << o.changes
                  << " durable membership changes on each store\n"
                  << "  sqlite:     " << sqlite->changes_per_s << " changes/s; rekey delivery p99 " << sqlite->p99_ms
                  << " ms\n"
                  << "  postgresql: " << postgres->changes_per_s << " changes/s; rekey delivery p99 "
                  << postgres->p99_ms << " ms\n"
                  << "  postgresql / sqlite changes/s: " << ratio << " (target >= 0.5)\n";
        if (o.failover) {
            std::cout << "  failover (leader killed -> first answer from the new leader), median of "
                      << failovers.size() << ": " << failover_median << " ms with a " << o.lease_ttl_s
                      << " s lease (target <= 5000 ms)\n";
        }
    }
    return 0;
}

int run_gms(const GmsOptions& o) {
    if (!o.store.empty()) return compare_stores(o);
    auto m = measure(o, "");
    if (!m) {
        std::cerr << "twofold-bench: " << m.error().message << '\n';
        return 1;
    }
    if (o.json) {
        std::cout << workload_json(o)
                         .add("changes_per_s", m->changes_per_s)
                         .add("rekey_delivery_p50_ms", m->p50_ms)
                         .add("rekey_delivery_p99_ms", m->p99_ms)
                         .add("gms_rss_mib", m->rss_mib)
                         .add("rekeys", std::uint64_t{m->rekeys})
                         .add("gms_cpu_cores", m->gms_cpu_cores)
                         .add("bench_cpu_cores", m->bench_cpu_cores)
                         .add("gms_cpu_us_per_change", m->gms_cpu_us_per_change)
                         .add("bench_cpu_us_per_change", m->bench_cpu_us_per_change)
                         .str()
                  << '\n';
    } else {
        std::cout << "gms: " << o.members << " members in " << o.groups << " groups, " << o.changes
                  << " durable membership changes\n"
                  << "  " << m->changes_per_s << " changes/s; rekey delivery p50 " << m->p50_ms << " ms, p99 "
                  << m->p99_ms << " ms; GMS RSS " << m->rss_mib << " MiB\n"
                  << "  " << m->rekeys << " rekeys; CPU over the measured part: GMS " << m->gms_cpu_cores
                  << " cores, load generator " << m->bench_cpu_cores << " cores\n";
    }
    return 0;
}

}  // namespace

void add_gms_command(CLI::App& app, int* exit_status) {
    auto o = std::make_shared<GmsOptions>();
    CLI::App* cmd = app.add_subcommand("gms", "durable membership changes per second and rekey delivery latency");
    cmd->add_option("--members", o->members, "connected members")->check(CLI::Range(std::size_t{2}, std::size_t{20000}));
    cmd->add_option("--groups", o->groups, "groups the members are spread over")->check(CLI::Range(std::size_t{1}, std::size_t{10000}));
    cmd->add_option("--changes", o->changes, "membership changes to measure")->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
    cmd->add_option("--gms", o->gms, "HOST:PORT of a running GMS (default: start one in a temporary directory)");
    cmd->add_option("--fingerprint", o->fingerprint, "its TLS fingerprint, with --gms");
    cmd->add_option("--in-flight", o->in_flight, "changes each group leader keeps outstanding")
        ->check(CLI::Range(std::size_t{1}, std::size_t{64}));
    cmd->add_flag("!--no-ack", o->ack, "members do not acknowledge rekeys");
    cmd->add_flag("--json", o->json, "one JSON line");
    cmd->add_flag("--failover", o->failover,
                  "with --store: also the failover time of two twofold-gms processes on the database (leader "
                  "killed -> first answer from the new leader), median of 5");
    cmd->add_option("--lease-ttl", o->lease_ttl_s, "their lease TTL, seconds (with --failover)")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 60.0));
    cmd->add_option("--store", o->store,
                    "also measure the GMS on PostgreSQL, against SQLite in the same run: 'postgresql' starts a "
                    "private server for the run, or give a postgresql:// URL");
    cmd->callback([o, exit_status] {
        if (!o->store.empty() && !o->gms.empty()) {
            std::cerr << "twofold-bench: --store starts its own GMS; it does not go with --gms\n";
            *exit_status = 2;
            return;
        }
        if (!o->store.empty() && o->store != "postgresql" && o->store.rfind("postgres", 0) != 0) {
            std::cerr << "twofold-bench: --store: 'postgresql' or a postgresql:// URL\n";
            *exit_status = 2;
            return;
        }
        if (o->failover && o->store.empty()) {
            std::cerr << "twofold-bench: --failover needs --store postgresql (the processes share its database)\n";
            *exit_status = 2;
            return;
        }
        *exit_status = run_gms(*o);
    });
}

}  // namespace twofold::bench
