// The real /usr/sbin/mosquitto for tests and `twofold-bench relay`: its own directory (config,
// self-signed TLS certificate, persistence file, log) under the temp dir, a TLS 1.3 listener on a
// free 127.0.0.1 port, and optionally twofold-mosquitto-auth.so loaded. Stopped (SIGKILL) and its
// directory removed with the object, also when its owner fails. Restartable on the same port and
// directory, so persistence can be tested across a restart.
//
// An instrumented plugin (a sanitizer build) needs the sanitizer runtime loaded before it, which
// the uninstrumented broker does not do: Options::sanitizer_runtime is then preloaded
// (docs/mqtt.md "Sanitizers and the real broker"); sanitizer_reports() returns what it wrote.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace twofold::proc {

class ChildProcess;

class MosquittoServer {
  public:
    struct Options {
        std::string plugin;                     // twofold-mosquitto-auth.so; empty: mosquitto alone, anonymous clients
        std::string sanitizer_runtime;          // preloaded with the plugin (sanitizer builds); empty: none
        std::string gms_key_hex;                // plugin_opt_gms_key, written as given (bad configs too)
        std::string broker_name = "broker.test";  // plugin_opt_broker_name: what tokens must name
        bool plugin_state = true;               // plugin_opt_state_file in the directory (kept across restarts)
        unsigned grace_seconds = 1;             // plugin_opt_grace_seconds
        bool persistence = true;                // persistence true
        bool save_on_changes = true;            // ... saved at each change (else once a second), and on stop
        std::size_t message_size_limit = 4096;  // mosquitto drops larger PUBLISHes itself
        std::size_t max_inflight_messages = 20; // mosquitto's default
        bool log = true;                        // log_type all to mosquitto.log (off for benchmarks)
        std::vector<std::string> extra_config;  // more mosquitto.conf lines, appended as they are
    };
    static constexpr std::chrono::seconds kStartTimeout{10};

    explicit MosquittoServer(Options options);
    ~MosquittoServer();
    MosquittoServer(const MosquittoServer&) = delete;
    MosquittoServer& operator=(const MosquittoServer&) = delete;

    // Listening (the constructor and restart() wait for it).
    bool ready() const { return ready_; }
    // The process has not exited (a refused config exits at once).
    bool running() const;

    // SIGTERM, and waits: mosquitto writes its persistence file on the way out. False if it
    // did not exit cleanly within a few seconds (then it is killed).
    bool stop();
    // SIGKILL: a crash; nothing is saved that was not saved before.
    void kill();
    // stop() if running, then start again on the same port with the same config and directory.
    bool restart();

    int port() const { return port_; }
    const std::string& broker_name() const { return options_.broker_name; }
    std::string url() const { return "mqtts://127.0.0.1:" + std::to_string(port_); }
    // The broker's certificate (PEM), which clients verify (it is its own CA).
    std::string cafile() const { return (dir_ / "cert.pem").string(); }
    // "sha256:" + the SHA-256 of the certificate's DER encoding in lowercase hex: the form
    // net/tls_identity.h pins (and `openssl x509 -noout -fingerprint -sha256` prints).
    std::string certificate_fingerprint() const;
    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path persistence_file() const { return dir_ / "mosquitto.db"; }
    std::filesystem::path plugin_state_file() const { return dir_ / "twofold-auth.db"; }
    std::filesystem::path log_path() const { return dir_ / "mosquitto.log"; }
    std::string log() const;
    // Waits up to `timeout` for `text` to appear in the log.
    bool log_has(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    // The sanitizer reports the broker wrote ("" if none; an error in the plugin aborts the broker).
    std::string sanitizer_reports() const;

  private:
    bool start();

    Options options_;
    std::filesystem::path dir_;
    int port_ = 0;
    std::unique_ptr<proc::ChildProcess> process_;
    bool ready_ = false;
};

}  // namespace twofold::proc
