#include "proc/mosquitto_server.h"

#include <pwd.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "proc/child_process.h"

namespace twofold::proc {

namespace {

constexpr const char* kBrokerBinary = "/usr/sbin/mosquitto";
constexpr auto kStopTimeout = std::chrono::seconds(5);

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    (void)::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);  // a failure shows as port 0
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool port_open(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The output of a shell command ("" if it fails).
std::string command_output(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return out;
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    return ::pclose(pipe) == 0 ? out : std::string();
}

}  // namespace

MosquittoServer::MosquittoServer(Options options) : options_(std::move(options)) {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("twofold-mosquitto-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::string openssl =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
        " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
        (dir_ / "key.pem").string() + " -out " + cafile() + " 2>/dev/null";
    if (std::system(openssl.c_str()) != 0) return;
    port_ = free_port();
    // mosquitto started as root switches to the user named here; stay who we are.
    const passwd* user = ::getpwuid(::getuid());
    std::ofstream conf(dir_ / "mosquitto.conf");
    conf << "listener " << port_ << " 127.0.0.1\n"
         << "certfile " << cafile() << "\nkeyfile " << (dir_ / "key.pem").string() << "\n"
         << "message_size_limit " << options_.message_size_limit << "\n"
         << "max_inflight_messages " << options_.max_inflight_messages << "\n"
         // Not 0 ("unlimited"): mosquitto 2.0.11 then disconnects a client whose QoS 1 PUBLISH an
         // ACL denies, and every statement presentation is one (docs/mqtt.md).
         << "max_queued_messages 1000000\n";
    if (options_.log) {
        conf << "log_dest file " << log_path().string() << "\nlog_type all\n";
    } else {
        conf << "log_dest none\n";
    }
    conf << "user " << (user ? user->pw_name : "root") << "\n";
    if (!options_.plugin.empty()) {
        conf << "allow_anonymous false\n"
             << "plugin " << options_.plugin << "\n"
             << "plugin_opt_gms_key " << options_.gms_key_hex << "\n"
             << "plugin_opt_broker_name " << options_.broker_name << "\n"
             << "plugin_opt_grace_seconds " << options_.grace_seconds << "\n";
        if (options_.plugin_state) conf << "plugin_opt_state_file " << plugin_state_file().string() << "\n";
    } else {
        conf << "allow_anonymous true\n";
    }
    if (options_.persistence) {
        // Tests save after every change (and on a clean stop), so a restart test does not depend
        // on the autosave clock; the benchmark once a second, as a deployment would.
        conf << "persistence true\npersistence_location " << dir_.string() << "/\n"
             << (options_.save_on_changes ? "autosave_on_changes true\n" : "") << "autosave_interval 1\n";
    } else {
        conf << "persistence false\n";
    }
    for (const auto& line : options_.extra_config) conf << line << "\n";
    conf.close();
    start();
}

MosquittoServer::~MosquittoServer() {
    process_.reset();  // SIGKILL and reap
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

bool MosquittoServer::start() {
    ready_ = false;
    std::vector<std::string> argv;
    const std::string& runtime = options_.sanitizer_runtime;
    if (!runtime.empty() && !options_.plugin.empty()) {
        // The plugin is built with the sanitizers; the broker is not: load the runtime first.
        // Leaks are not checked in the broker (mosquitto's own are not ours to judge).
        argv = {"/usr/bin/env", "LD_PRELOAD=" + runtime,
                "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:log_path=" + (dir_ / "asan").string(),
                "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=" + (dir_ / "ubsan").string()};
    }
    argv.insert(argv.end(), {kBrokerBinary, "-c", (dir_ / "mosquitto.conf").string()});
    process_ = std::make_unique<proc::ChildProcess>(argv);
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (!port_open(port_)) {
        if (!running() || std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ready_ = true;
    return true;
}

bool MosquittoServer::running() const {
    // WNOWAIT: look without reaping, so ChildProcess still owns the pid.
    siginfo_t info{};
    return process_ && process_->started() &&
           ::waitid(P_PID, static_cast<id_t>(process_->pid()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == 0;
}

bool MosquittoServer::stop() {
    ready_ = false;
    if (!process_ || !process_->started()) return true;
    const int status = process_->terminate(kStopTimeout);
    process_.reset();
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void MosquittoServer::kill() {
    ready_ = false;
    process_.reset();
}

bool MosquittoServer::restart() {
    if (running() && !stop()) return false;
    process_.reset();
    return start();
}

std::string MosquittoServer::certificate_fingerprint() const {
    std::string out = command_output("openssl x509 -in " + cafile() + " -noout -fingerprint -sha256");
    // "sha256 Fingerprint=AB:CD:...\n" (the label's case differs between OpenSSL versions)
    const auto at = out.find('=');
    if (at == std::string::npos) return {};
    std::string hex;
    for (char c : out.substr(at + 1)) {
        if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(static_cast<char>(std::tolower(c)));
    }
    return hex.empty() ? hex : "sha256:" + hex;
}

std::string MosquittoServer::log() const { return read_text(log_path()); }

bool MosquittoServer::log_has(const std::string& text, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (log().find(text) == std::string::npos) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

std::string MosquittoServer::sanitizer_reports() const {
    std::string out;
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(dir_, ec)) {
        const auto name = f.path().filename().string();
        if (name.starts_with("asan") || name.starts_with("ubsan")) out += read_text(f.path());
    }
    return out;
}

}  // namespace twofold::proc
