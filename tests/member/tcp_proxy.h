// A TCP proxy on loopback that a test can hold or cut: it forwards bytes both ways (TLS passes
// through untouched, so the pinned fingerprint still matches), and on the test's word holds a
// direction back or closes every connection at once. It puts a server's failure at an exact
// point of a client's exchange: a request that never arrives, or an answer that never returns.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace twofold::testing {

class TcpProxy {
  public:
    explicit TcpProxy(std::uint16_t target_port) : target_port_(target_port) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a = loopback(0);
        ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(listener_, 16);
        socklen_t len = sizeof a;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~TcpProxy() {
        stop_ = true;
        thread_.join();
        for (const Pair& p : pairs_) {
            ::close(p.client);
            ::close(p.server);
        }
        ::close(listener_);
    }
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    std::uint16_t port() const { return port_; }
    void set_target(std::uint16_t port) { target_port_ = port; }
    // Client -> server bytes wait in the proxy's socket buffers (the server never sees them).
    void hold_requests(bool hold) { hold_requests_ = hold; }
    // Server -> client bytes wait (the server has the request; its answer never returns).
    void hold_replies(bool hold) { hold_replies_ = hold; }
    // Closes every connection made so far; new ones are forwarded again.
    void cut() {
        cut_ = true;
        while (cut_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }

  private:
    struct Pair {
        int client;
        int server;
    };

    static sockaddr_in loopback(std::uint16_t port) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return a;
    }

    // false: that side closed or failed
    static bool forward(int from, int to) {
        char buf[16384];
        const ssize_t n = ::read(from, buf, sizeof buf);
        if (n <= 0) return false;
        for (ssize_t sent = 0; sent < n;) {
            const ssize_t w = ::write(to, buf + sent, static_cast<std::size_t>(n - sent));
            if (w <= 0) return false;
            sent += w;
        }
        return true;
    }

    void run() {
        while (!stop_) {
            if (cut_) {
                for (const Pair& p : pairs_) {
                    ::close(p.client);
                    ::close(p.server);
                }
                pairs_.clear();
                cut_ = false;
            }
            std::vector<pollfd> fds{{listener_, POLLIN, 0}};
            for (const Pair& p : pairs_) {
                fds.push_back({p.client, static_cast<short>(hold_requests_ ? 0 : POLLIN), 0});
                fds.push_back({p.server, static_cast<short>(hold_replies_ ? 0 : POLLIN), 0});
            }
            if (::poll(fds.data(), fds.size(), 10) <= 0) continue;
            const std::size_t polled = pairs_.size();
            if (fds[0].revents & POLLIN) accept_one();
            std::vector<Pair> alive;
            for (std::size_t i = 0; i < polled; ++i) {
                const Pair p = pairs_[i];
                const short up = fds[1 + 2 * i].revents;
                const short down = fds[2 + 2 * i].revents;
                bool ok = true;
                if (up & (POLLIN | POLLHUP | POLLERR)) ok = forward(p.client, p.server);
                if (ok && (down & (POLLIN | POLLHUP | POLLERR))) ok = forward(p.server, p.client);
                if (ok) {
                    alive.push_back(p);
                } else {
                    ::close(p.client);
                    ::close(p.server);
                }
            }
            for (std::size_t i = polled; i < pairs_.size(); ++i) alive.push_back(pairs_[i]);  // just accepted
            pairs_ = std::move(alive);
        }
    }

    void accept_one() {
        const int client = ::accept(listener_, nullptr, nullptr);
        if (client < 0) return;
        const int server = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a = loopback(target_port_);
        if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(client);
            ::close(server);
            return;
        }
        pairs_.push_back({client, server});
    }

    std::atomic<std::uint16_t> target_port_;
    std::uint16_t port_ = 0;
    int listener_ = -1;
    std::vector<Pair> pairs_;  // the proxy thread's
    std::atomic<bool> hold_requests_{false}, hold_replies_{false}, cut_{false}, stop_{false};
    std::thread thread_;
};

}  // namespace twofold::testing
