// The NAT lab's delay element (docs/direct-route.md, "Delay"): this kernel has no sch_netem, so
// packets an iptables `-j NFQUEUE --queue-num N` rule hands to user space are given back (ACCEPT)
// DELAY_MS after they arrived. One thread; the delay is the same for every packet, so the
// packets waiting form a FIFO already sorted by release time and order is kept.
//
//   nfq_delay --queue N --delay-ms D     runs until SIGTERM/SIGINT; prints "ready" once bound
//
// Only packet ids are copied to user space (NFQNL_COPY_META): the payloads never leave the
// kernel. Runs inside one network namespace (the router's); queues are per namespace.
#include <arpa/inet.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <deque>
#include <iostream>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

std::int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct Held {
    std::uint32_t id;
    std::int64_t release_ns;
};

struct Delayer {
    std::int64_t delay_ns;
    std::deque<Held> held;
};

int on_packet(nfq_q_handle*, nfgenmsg*, nfq_data* nfa, void* data) {
    auto* d = static_cast<Delayer*>(data);
    const nfqnl_msg_packet_hdr* hdr = nfq_get_msg_packet_hdr(nfa);
    if (hdr != nullptr) d->held.push_back(Held{ntohl(hdr->packet_id), now_ns() + d->delay_ns});
    return 0;
}

int fail(const std::string& what) {
    std::cerr << "nfq_delay: " << what << ": " << std::strerror(errno) << "\n";
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"delays packets queued by an iptables NFQUEUE rule"};
    unsigned queue = 0;
    double delay_ms = 0;
    app.add_option("--queue", queue, "the NFQUEUE number")->required();
    app.add_option("--delay-ms", delay_ms, "milliseconds each packet is held")->required()->check(CLI::Range(0.0, 10000.0));
    CLI11_PARSE(app, argc, argv);

    Delayer d{static_cast<std::int64_t>(delay_ms * 1e6), {}};
    nfq_handle* h = nfq_open();
    if (h == nullptr) return fail("nfq_open");
    nfq_q_handle* qh = nfq_create_queue(h, static_cast<std::uint16_t>(queue), &on_packet, &d);
    if (qh == nullptr) return fail("cannot bind queue " + std::to_string(queue));
    if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) return fail("nfq_set_mode");
    if (nfq_set_queue_maxlen(qh, 65536) < 0) return fail("nfq_set_queue_maxlen");
    const int fd = nfq_fd(h);
    // A lost netlink message would leave its packet queued for good: a large buffer, no ENOBUFS.
    nfnl_rcvbufsiz(nfq_nfnlh(h), 8 << 20);
    const int one = 1;
    (void)::setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);

    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    std::cout << "ready" << std::endl;

    alignas(8) char buf[65536];
    while (g_stop == 0) {
        const std::int64_t now = now_ns();
        while (!d.held.empty() && d.held.front().release_ns <= now) {
            nfq_set_verdict(qh, d.held.front().id, NF_ACCEPT, 0, nullptr);
            d.held.pop_front();
        }
        timespec timeout{1, 0};
        if (!d.held.empty()) {
            const std::int64_t wait = d.held.front().release_ns - now;
            timeout = timespec{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
        }
        pollfd p{fd, POLLIN, 0};
        const int ready = ::ppoll(&p, 1, &timeout, nullptr);
        if (ready < 0 && errno != EINTR) return fail("ppoll");
        if (ready <= 0) continue;
        for (;;) {  // everything waiting, so arrival times stay close to the kernel's
            const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
            if (n < 0 && errno == ENOBUFS) continue;
            if (n < 0) return fail("recv");
            nfq_handle_packet(h, buf, static_cast<int>(n));
        }
    }
    // Whatever is still held goes on undelayed rather than being dropped with the queue.
    for (const Held& x : d.held) nfq_set_verdict(qh, x.id, NF_ACCEPT, 0, nullptr);
    nfq_destroy_queue(qh);
    nfq_close(h);
    return 0;
}
