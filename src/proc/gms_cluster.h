// Several twofold-gms processes on one PostgreSQL database, for the failover tests and
// `twofold-bench gms --failover` (issue 15): each with its own data directory holding one shared
// storage.key (what an operator copies to every process), all started at once with
// --advertise, then told apart by the lease row (gms_pg/lease.h) that names the leader.
// Everything is killed and the directories removed in the destructor, also when a test fails.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "crypto/random.h"
#include "net/endpoint.h"
#include "pg/connection.h"
#include "proc/child_process.h"

namespace twofold::proc {

class GmsCluster {
  public:
    struct Options {
        std::string binary;  // twofold-gms
        std::string store;   // postgresql:// URL of an empty (or earlier) database
        int processes = 2;
        double lease_ttl_seconds = 1.0;
        std::vector<std::string> extra_args;  // e.g. --password-hashing minimum
        // Process i's own URL of that database (e.g. through a test's proxy), when given; the
        // cluster itself reads the lease through `store`.
        std::vector<std::string> process_stores;
    };
    struct Process {
        std::unique_ptr<ChildProcess> child;
        std::filesystem::path data_dir;
        net::Endpoint endpoint;
        std::string fingerprint;
        std::string signing_key;
    };

    static Result<std::unique_ptr<GmsCluster>> start(Options options) {
        auto cluster = std::unique_ptr<GmsCluster>(new GmsCluster(std::move(options)));
        if (auto s = cluster->launch(); !s) return s.error();
        return cluster;
    }
    ~GmsCluster() {
        processes_.clear();  // SIGKILL and reap each
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }
    GmsCluster(const GmsCluster&) = delete;
    GmsCluster& operator=(const GmsCluster&) = delete;

    std::size_t size() const { return processes_.size(); }
    Process& at(std::size_t i) { return processes_.at(i); }
    // "127.0.0.1:p1,127.0.0.1:p2,...": what `twofold init --gms` takes.
    std::string endpoint_list() const {
        std::string out;
        for (const Process& p : processes_) out += (out.empty() ? "" : ",") + p.endpoint.to_string();
        return out;
    }

    // The index of the process the lease names (unexpired), waiting up to `patience` for one;
    // nullopt if none leads by then.
    std::optional<std::size_t> leader(std::chrono::milliseconds patience = std::chrono::seconds(10)) {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        for (;;) {
            if (auto i = current_leader()) return i;
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    // Waits until a process other than `old` leads.
    std::optional<std::size_t> new_leader(std::size_t old, std::chrono::milliseconds patience = std::chrono::seconds(10)) {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        for (;;) {
            if (auto i = current_leader(); i && *i != old) return i;
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    void kill9(std::size_t i) { (void)processes_.at(i).child->kill(SIGKILL); }
    void pause(std::size_t i) { ::kill(processes_.at(i).child->pid(), SIGSTOP); }
    void resume(std::size_t i) { ::kill(processes_.at(i).child->pid(), SIGCONT); }
    // Starts process i again (after kill9), on its data directory and port.
    Status restart(std::size_t i) { return run(processes_.at(i), processes_.at(i).endpoint.port); }

  private:
    explicit GmsCluster(Options options) : options_(std::move(options)) {
        root_ = std::filesystem::temp_directory_path() /
                ("twofold-gms-cluster-" + std::to_string(::getpid()) + "-" + std::to_string(++counter()));
    }
    static int& counter() {
        static int n = 0;
        return n;
    }

    Status launch() {
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
        std::filesystem::create_directories(root_, ec);
        if (ec) return make_error(Errc::unavailable, "cannot create " + root_.string() + ": " + ec.message());
        // One storage key for all: each process must open the secrets the others sealed.
        const auto key = crypto::random_array<32>();
        processes_.resize(static_cast<std::size_t>(options_.processes));
        for (std::size_t i = 0; i < processes_.size(); ++i) {
            Process& p = processes_[i];
            p.data_dir = root_ / ("gms" + std::to_string(i));
            std::filesystem::create_directories(p.data_dir, ec);
            std::filesystem::permissions(p.data_dir, std::filesystem::perms::owner_all, ec);
            const auto file = p.data_dir / "storage.key";
            {
                std::ofstream out(file, std::ios::binary);
                out.write(reinterpret_cast<const char*>(key.data()), static_cast<std::streamsize>(key.size()));
            }
            ::chmod(file.c_str(), 0600);
        }
        // All at once: they race for the schema, the identity and the lease, as in production.
        for (Process& p : processes_) start_child(p, 0);
        for (Process& p : processes_) {
            if (auto s = read_listening(p); !s) return s;
        }
        db_ = pg::Connection::open(options_.store);
        if (!*db_) return db_->error();
        return {};
    }

    void start_child(Process& p, std::uint16_t port) {
        const auto index = static_cast<std::size_t>(&p - processes_.data());
        const std::string& store =
            index < options_.process_stores.size() ? options_.process_stores[index] : options_.store;
        std::vector<std::string> argv = {options_.binary, "--data", p.data_dir.string(), "--store", store,
                                         "--listen", "127.0.0.1:" + std::to_string(port), "--advertise", "127.0.0.1",
                                         "--lease-ttl", std::to_string(options_.lease_ttl_seconds)};
        argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
        p.child = std::make_unique<ChildProcess>(argv);
    }

    Status read_listening(Process& p) {
        const std::string line = p.child->first_line(std::chrono::seconds(60));
        auto ep = net::parse_endpoint(word_after(line, "on"), "listen line");
        if (!ep) return make_error(Errc::unavailable, "twofold-gms in " + p.data_dir.string() + " did not start: '" + line + "'");
        p.endpoint = *ep;
        p.fingerprint = word_after(line, "tls-fingerprint");
        p.signing_key = word_after(line, "signing-key");
        return {};
    }

    Status run(Process& p, std::uint16_t port) {
        start_child(p, port);
        return read_listening(p);
    }

    std::optional<std::size_t> current_leader() {
        if (!db_ || !*db_) return std::nullopt;
        Result<pg::Rows> rows = make_error(Errc::unavailable, "not asked");
        const Status s = (*db_)->transaction([&](pg::Connection& tx) -> Status {
            rows = tx.query(
                "SELECT advertise FROM gms_lease WHERE id = 1 AND expires_ms >= "
                "(extract(epoch FROM clock_timestamp()) * 1000)::bigint");
            return rows ? Status{} : Status{rows.error()};
        });
        if (!s || rows->empty()) return std::nullopt;
        const std::string advertise = rows->text(0, 0);
        for (std::size_t i = 0; i < processes_.size(); ++i) {
            if (processes_[i].endpoint.to_string() == advertise) return i;
        }
        return std::nullopt;
    }

    Options options_;
    std::filesystem::path root_;
    std::vector<Process> processes_;
    std::optional<Result<pg::Connection>> db_;
};

}  // namespace twofold::proc
