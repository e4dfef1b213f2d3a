// A whole deployment on loopback for the member library's end-to-end tests: the real
// twofold-gms and twofold-relay binaries as child processes with their data in a temporary
// directory, and members made with Member::init against them. The processes are killed and
// reaped and the directory removed in every path (the destructor), so no test leaves anything
// behind.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "crypto/password.h"
#include "net/endpoint.h"
#include "proc/child_process.h"
#include "twofold/member.h"

namespace twofold::testing {

class Deployment {
  public:
    Deployment() {
        static std::atomic<int> counter{0};
        dir_ = std::filesystem::temp_directory_path() /
               ("twofold-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    ~Deployment() {
        gms_.reset();
        relay_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    Deployment(const Deployment&) = delete;
    Deployment& operator=(const Deployment&) = delete;

    // Starts both servers; false (with a gtest failure) if either does not print its line.
    bool start() {
        if (!start_gms(0)) return false;
        return start_relay(0);
    }

    // `extra`: more options, e.g. --relay HOST:PORT --relay-fingerprint FP once the relay runs.
    bool start_gms(std::uint16_t port, const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args{TWOFOLD_GMS_BINARY, "--data", gms_dir().string(), "--listen",
                                      "127.0.0.1:" + std::to_string(port), "--password-hashing", "minimum",
                                      "--log-level", "warn"};
        args.insert(args.end(), extra.begin(), extra.end());
        gms_ = std::make_unique<proc::ChildProcess>(args);
        const std::string line = gms_->first_line();
        auto ep = net::parse_endpoint(proc::word_after(line, "on"), "gms line");
        if (!ep) {
            ADD_FAILURE() << "twofold-gms did not start: " << line;
            return false;
        }
        gms_endpoint_ = ep->to_string();
        gms_fingerprint_ = proc::word_after(line, "tls-fingerprint");
        gms_key_ = proc::word_after(line, "signing-key");
        return true;
    }

    bool start_relay(std::uint16_t port) {
        relay_ = std::make_unique<proc::ChildProcess>(std::vector<std::string>{
            TWOFOLD_RELAY_BINARY, "--data", relay_dir().string(), "--listen", "127.0.0.1:" + std::to_string(port),
            "--gms-key", gms_key_, "--log-level", "warn"});
        const std::string line = relay_->first_line();
        auto ep = net::parse_endpoint(proc::word_after(line, "on"), "relay line");
        if (!ep) {
            ADD_FAILURE() << "twofold-relay did not start: " << line;
            return false;
        }
        relay_endpoint_ = ep->to_string();
        relay_fingerprint_ = proc::word_after(line, "tls-fingerprint");
        return true;
    }

    // SIGTERM and reap: a clean shutdown that leaves the data directory consistent.
    void stop_gms() {
        if (gms_) gms_->kill(SIGTERM);
        gms_.reset();
    }
    // SIGKILL and reap: a crash, nothing flushed or closed; a restart on the same data directory
    // (start_gms with the old port, which the members' stores name) must find what was committed.
    void kill_gms() {
        const int status = gms_ ? gms_->kill(SIGKILL) : -1;
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            << "twofold-gms was not killed, status " << status;
        gms_.reset();
    }
    void stop_relay() {
        if (relay_) relay_->kill(SIGTERM);
        relay_.reset();
    }

    std::uint16_t gms_port() const { return net::parse_endpoint(gms_endpoint_, "gms")->port; }
    std::uint16_t relay_port() const { return net::parse_endpoint(relay_endpoint_, "relay")->port; }

    static std::string password_of(const std::string& account) { return "password of " + account; }
    static std::string passphrase_of(const std::string& account) { return "passphrase of " + account; }

    InitOptions options(const std::string& account) const {
        InitOptions o;
        o.account = account;
        o.password = password_of(account);
        o.gms = gms_endpoint_;
        o.gms_fingerprint = gms_fingerprint_;
        o.gms_signing_key = gms_key_;
        o.relay = relay_endpoint_;
        o.relay_fingerprint = relay_fingerprint_;
        o.store_limits = crypto::PwhashLimits::minimum();
        return o;
    }

    std::filesystem::path home(const std::string& account) const { return dir_ / "members" / account; }

    // A new member with its own home directory, registered at the GMS.
    std::unique_ptr<Member> member(const std::string& account) {
        auto m = Member::init(home(account), passphrase_of(account), options(account));
        if (!m) {
            ADD_FAILURE() << "init " << account << ": " << m.error().message;
            return nullptr;
        }
        return std::move(*m);
    }

    // The member again from its store (its previous object must be gone).
    std::unique_ptr<Member> reopen(const std::string& account) {
        auto m = Member::open(home(account), passphrase_of(account));
        if (!m) {
            ADD_FAILURE() << "open " << account << ": " << m.error().message;
            return nullptr;
        }
        return std::move(*m);
    }

    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path gms_dir() const { return dir_ / "gms"; }
    std::filesystem::path relay_dir() const { return dir_ / "relay"; }
    const std::string& gms_endpoint() const { return gms_endpoint_; }
    const std::string& gms_fingerprint() const { return gms_fingerprint_; }
    const std::string& gms_key() const { return gms_key_; }
    const std::string& relay_endpoint() const { return relay_endpoint_; }
    const std::string& relay_fingerprint() const { return relay_fingerprint_; }

  private:
    std::filesystem::path dir_;
    std::unique_ptr<proc::ChildProcess> gms_;
    std::unique_ptr<proc::ChildProcess> relay_;
    std::string gms_endpoint_, gms_fingerprint_, gms_key_;
    std::string relay_endpoint_, relay_fingerprint_;
};

}  // namespace twofold::testing
