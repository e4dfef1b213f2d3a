// The mosquitto side of `twofold-bench relay`: the Debian broker on a loopback port with
// persistence on, N subscribers and one publisher through libmosquitto at QoS 1 over plain TCP.
//
// "Persistence on" for mosquitto means `persistence true` with `autosave_interval 1`: the broker
// keeps messages in memory, acknowledges QoS 1 (PUBACK) at once, and writes its whole state to
// mosquitto.db once a second. It does not fsync each message. The relay commits (fsync) every
// batch before it acknowledges. docs/relay.md says what this means for the comparison.
#include <fcntl.h>
#include <mosquitto.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "relay_bench.h"

extern char** environ;

namespace twofold::bench {

namespace {

constexpr const char* kBroker = "/usr/sbin/mosquitto";
constexpr const char* kTopic = "twofold/bench";
constexpr int kQos = 1;
constexpr int kKeepAliveSeconds = 60;
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kDrainTimeout = std::chrono::seconds(30);

// A free loopback port: bind to 0, read it, close (the broker binds it right after).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    (void)::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);  // a failure shows as port 0 below
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

// The broker process and its files, stopped and removed in every path.
class Broker {
  public:
    ~Broker() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
        std::error_code ec;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    }
    Status start(std::size_t window) {
        dir_ = std::filesystem::temp_directory_path() / ("twofold-bench-mosquitto-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        port = free_port();
        const auto conf = dir_ / "mosquitto.conf";
        std::ofstream(conf) << "listener " << port << " 127.0.0.1\n"
                            << "allow_anonymous true\n"
                            << "persistence true\n"
                            << "persistence_location " << dir_.string() << "/\n"
                            << "autosave_interval 1\n"
                            << "max_inflight_messages " << window << "\n"
                            << "max_queued_messages 0\n"  // unlimited: QoS 1 must not drop
                            << "log_dest none\n";
        std::string bin = kBroker, c = "-c", path = conf.string();
        char* argv[] = {bin.data(), c.data(), path.data(), nullptr};
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        const int rc = ::posix_spawn(&pid_, kBroker, &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            pid_ = -1;
            return make_error(Errc::unavailable, std::string("cannot start ") + kBroker + " (apt-get install mosquitto)");
        }
        const auto deadline = SteadyClock::now() + kStartTimeout;
        while (!port_open(port)) {
            if (SteadyClock::now() > deadline) return make_error(Errc::timeout, "mosquitto did not start listening");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return {};
    }
    int port = 0;

  private:
    std::filesystem::path dir_;
    pid_t pid_ = -1;
};

struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t connected = 0;
    std::size_t subscribed = 0;
    std::size_t in_flight = 0;
    std::uint64_t delivered = 0;
    std::vector<double> latencies;
    SteadyClock::time_point last_delivery{};
};

struct ClientDeleter {
    void operator()(mosquitto* m) const { mosquitto_destroy(m); }
};
using Client = std::unique_ptr<mosquitto, ClientDeleter>;

void on_connect(mosquitto* m, void* user, int rc) {
    auto* s = static_cast<Shared*>(user);
    if (rc != 0) return;
    std::lock_guard lock(s->mu);
    ++s->connected;
    s->cv.notify_all();
    (void)m;
}

void on_subscribe(mosquitto*, void* user, int, int, const int*) {
    auto* s = static_cast<Shared*>(user);
    std::lock_guard lock(s->mu);
    ++s->subscribed;
    s->cv.notify_all();
}

void on_message(mosquitto*, void* user, const mosquitto_message* msg) {
    auto* s = static_cast<Shared*>(user);
    const double ms = latency_ms(ByteView(static_cast<const std::uint8_t*>(msg->payload),
                                          static_cast<std::size_t>(msg->payloadlen)));
    std::lock_guard lock(s->mu);
    s->latencies.push_back(ms);
    ++s->delivered;
    s->last_delivery = SteadyClock::now();
    s->cv.notify_all();
}

void on_publish(mosquitto*, void* user, int) {
    auto* s = static_cast<Shared*>(user);
    std::lock_guard lock(s->mu);
    --s->in_flight;
    s->cv.notify_all();
}

Result<Client> make_client(Shared& shared, int port, bool subscriber) {
    Client c(mosquitto_new(nullptr, true, &shared));
    if (!c) return make_error(Errc::internal, "mosquitto_new failed");
    mosquitto_connect_callback_set(c.get(), on_connect);
    if (subscriber) {
        mosquitto_subscribe_callback_set(c.get(), on_subscribe);
        mosquitto_message_callback_set(c.get(), on_message);
    } else {
        mosquitto_publish_callback_set(c.get(), on_publish);
    }
    if (mosquitto_connect(c.get(), "127.0.0.1", port, kKeepAliveSeconds) != MOSQ_ERR_SUCCESS) {
        return make_error(Errc::unavailable, "cannot connect to mosquitto");
    }
    if (mosquitto_loop_start(c.get()) != MOSQ_ERR_SUCCESS) return make_error(Errc::internal, "mosquitto_loop_start failed");
    return c;
}

// Stops every client's network thread before the clients (and Shared) go away.
struct LoopStopper {
    std::vector<Client>& clients;
    ~LoopStopper() {
        for (auto& c : clients) {
            mosquitto_disconnect(c.get());
            mosquitto_loop_stop(c.get(), true);
        }
    }
};

}  // namespace

Result<Measurement> run_mosquitto(const RelayWorkload& w) {
    Broker broker;
    if (auto s = broker.start(w.window); !s) return s.error();
    mosquitto_lib_init();
    Shared shared;
    std::vector<Client> clients;
    LoopStopper stopper{clients};
    for (std::size_t i = 0; i <= w.members; ++i) {
        auto c = make_client(shared, broker.port, i < w.members);
        if (!c) return c.error();
        clients.push_back(std::move(*c));
    }
    {
        std::unique_lock lock(shared.mu);
        if (!shared.cv.wait_for(lock, kStartTimeout, [&] { return shared.connected == clients.size(); })) {
            return make_error(Errc::timeout, "mosquitto clients did not connect");
        }
    }
    for (std::size_t i = 0; i < w.members; ++i) mosquitto_subscribe(clients[i].get(), nullptr, kTopic, kQos);
    {
        std::unique_lock lock(shared.mu);
        if (!shared.cv.wait_for(lock, kStartTimeout, [&] { return shared.subscribed == w.members; })) {
            return make_error(Errc::timeout, "mosquitto subscriptions were not acknowledged");
        }
    }
    mosquitto* publisher = clients.back().get();
    Measurement result;
    const auto first = SteadyClock::now();
    const auto stop = first + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(w.seconds));
    while (SteadyClock::now() < stop) {
        {
            std::unique_lock lock(shared.mu);
            shared.cv.wait(lock, [&] { return shared.in_flight < w.window; });
            ++shared.in_flight;
        }
        const Bytes payload = stamped_payload(w.msg_bytes);
        if (mosquitto_publish(publisher, nullptr, kTopic, static_cast<int>(payload.size()), payload.data(), kQos,
                              false) != MOSQ_ERR_SUCCESS) {
            return make_error(Errc::unavailable, "mosquitto_publish failed");
        }
        ++result.published;
    }
    std::unique_lock lock(shared.mu);
    shared.cv.wait_for(lock, kDrainTimeout, [&] { return shared.delivered >= result.published * w.members; });
    std::vector<double> latencies = std::move(shared.latencies);
    const double elapsed = std::chrono::duration<double>(shared.last_delivery - first).count();
    lock.unlock();
    summarise(result, latencies, elapsed);
    return result;
}

}  // namespace twofold::bench
