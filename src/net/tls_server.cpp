#include "net/tls_server.h"

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <spdlog/spdlog.h>

#include <array>
#include <unordered_map>

#include "net/admission.h"
#include "net/connection_deadlines.h"
#include "net/tls_context.h"

namespace twofold::net {

namespace {

using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunkBytes = std::size_t{16} * 1024;
// A connection's write buffers keep their capacity between writes up to this size; above it (after
// a burst) they are released, so a thousand idle connections do not hold a burst's worth each.
constexpr std::size_t kKeepBufferBytes = std::size_t{64} * 1024;
// Refused connections are logged at most once per interval: a flood must not flood the log.
constexpr std::chrono::seconds kRefusalLogInterval{10};

DeadlineLimits deadline_limits(const ServerOptions& o) {
    return DeadlineLimits{o.handshake_timeout, o.idle_timeout, o.frame_timeout, o.auth_timeout, o.shutdown_grace};
}

}  // namespace

struct ConnectionImpl;

struct detail::ServerState {
    ServerOptions options;
    SessionFactory factory;
    asio::io_context io{1};
    asio::thread_pool workers{1};
    asio::ssl::context tls{asio::ssl::context::tls_server};
    tcp::acceptor acceptor{io};
    asio::signal_set signals{io};
    std::unordered_map<std::uint64_t, std::shared_ptr<ConnectionImpl>> connections;
    Admission admission;
    LogThrottle refusal_log{kRefusalLogInterval};
    std::vector<std::unique_ptr<asio::steady_timer>> periodic;
    asio::steady_timer alarm{io};
    std::uint64_t alarm_generation = 0;  // a replaced alarm's wait ends aborted or finds a newer one
    std::vector<std::function<void()>> batch_tasks;
    std::vector<std::function<void()>> stop_tasks;
    std::uint64_t next_id = 1;
    bool batch_scheduled = false;
    bool stopping = false;

    ServerState(ServerOptions o, SessionFactory f)
        : options(std::move(o)),
          factory(std::move(f)),
          admission(options.max_connections, options.max_connections_per_address) {}

    awaitable<void> accept_loop();
    // Over a cap: closed before a TLS handshake is spent on it, and logged (throttled).
    void refuse(tcp::socket& socket, const std::string& address, const std::string& why);
    void schedule_batch();
    void begin_stop();
    void forget(std::uint64_t id);
};

struct ConnectionImpl final : Connection, std::enable_shared_from_this<ConnectionImpl> {
    detail::ServerState& server;
    asio::ssl::stream<tcp::socket> stream;
    asio::steady_timer write_signal;
    asio::steady_timer watchdog;
    std::uint64_t id_;
    std::string address_;  // the source address, which the per-address cap counts
    std::string peer_;
    std::unique_ptr<Session> session;
    wire::FrameDecoder decoder;
    Bytes pending;  // frames queued since the last write began, back to back
    Bytes out;      // the frames being written
    ConnectionDeadlines deadlines;
    bool closing = false;  // flush the queue, then close
    bool closed = false;
    bool write_idle = false;  // the write loop waits on write_signal for frames

    ConnectionImpl(detail::ServerState& s, tcp::socket socket, std::uint64_t id, std::string address)
        : server(s),
          stream(std::move(socket), s.tls),
          write_signal(s.io),
          watchdog(s.io),
          id_(id),
          address_(std::move(address)),
          decoder(s.options.max_frame_bytes),
          deadlines(deadline_limits(s.options), Clock::now()) {
        asio::error_code ec;
        const auto ep = stream.lowest_layer().remote_endpoint(ec);
        peer_ = ec ? address_ : address_ + ":" + std::to_string(ep.port());
    }

    Status send(ByteView payload) override {
        if (closed || closing) return make_error(Errc::unavailable, "connection " + peer_ + " is closing");
        if (payload.size() > server.options.max_frame_bytes || payload.size() > UINT32_MAX) {
            return make_error(Errc::too_large, "frame of " + std::to_string(payload.size()) +
                                                   " bytes exceeds the maximum of " +
                                                   std::to_string(server.options.max_frame_bytes));
        }
        if (pending.size() + wire::kFrameHeaderBytes + payload.size() > server.options.max_queued_bytes) {
            shut("peer too slow: send queue over " + std::to_string(server.options.max_queued_bytes) + " bytes");
            return make_error(Errc::unavailable, "connection " + peer_ + " closed: peer too slow to read");
        }
        // Straight into the write buffer: a rekey fanned out to fifty members is copied once per
        // member (here), and OpenSSL encrypts from this buffer.
        wire::append_frame(pending, payload);
        wake_writer();
        return {};
    }

    void close() override {
        closing = true;
        deadlines.closing(Clock::now());
        rearm_watchdog();
        wake_writer();
    }

    void set_authenticated() override { deadlines.authenticated(); }
    void hold_auth_deadline() override { deadlines.hold_auth(Clock::now()); }
    void release_auth_deadline() override {
        deadlines.release_auth(Clock::now());
        rearm_watchdog();
    }

    // One wake-up per idle period, however many frames a batch queues for this peer.
    void wake_writer() {
        if (!write_idle) return;
        write_idle = false;
        write_signal.cancel();
    }

    const std::string& peer() const override { return peer_; }
    std::uint64_t id() const override { return id_; }
    const std::string& address() const { return address_; }

    // Immediate close: the socket goes, pending operations fail, the session hears why once.
    void shut(const std::string& reason) {
        if (closed) return;
        closed = true;
        asio::error_code ec;
        stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
        stream.lowest_layer().close(ec);
        write_signal.cancel();
        watchdog.cancel();
        if (session) session->on_close(reason);
        server.forget(id_);
    }

    void rearm_watchdog() {
        if (deadlines.next().at < watchdog.expiry()) watchdog.cancel();  // wake it to re-arm earlier
    }

    awaitable<void> watch() {
        auto self = shared_from_this();
        while (!closed) {
            watchdog.expires_at(deadlines.next().at);
            asio::error_code ec;
            co_await watchdog.async_wait(asio::redirect_error(use_awaitable, ec));
            const auto due = deadlines.next();
            if (!closed && Clock::now() >= due.at) expire(due.reason);
        }
    }

    void expire(ConnectionDeadlines::Reason reason) {
        const std::string why = deadlines.describe(reason);
        if (reason == ConnectionDeadlines::Reason::frame && session) {
            // A broken stream like an oversized frame (MALFORMED on the wire): the peer hears why,
            // then the stream ends.
            session->on_frame_error(make_error(Errc::truncated, why));
            close();
            return;
        }
        shut(why);
    }

    awaitable<void> write_loop() {
        auto self = shared_from_this();
        while (!closed) {
            if (pending.empty()) {
                if (closing) {
                    shut("closed by the server");
                    co_return;
                }
                write_signal.expires_at(Clock::time_point::max());
                write_idle = true;
                asio::error_code ec;
                co_await write_signal.async_wait(asio::redirect_error(use_awaitable, ec));
                write_idle = false;
                continue;
            }
            // Everything queued since the last write goes out in one write: a batch often leaves
            // several frames for one peer, and they share TLS records and a system call.
            out.clear();
            if (out.capacity() > kKeepBufferBytes) Bytes().swap(out);
            out.swap(pending);
            asio::error_code ec;
            co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
            if (ec) {
                shut("write failed: " + ec.message());
                co_return;
            }
        }
    }

    awaitable<void> run() {
        auto self = shared_from_this();
        asio::co_spawn(server.io, watch(), asio::detached);
        asio::error_code ec;
        co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
        if (ec || closed) {
            shut("TLS handshake failed");
            co_return;
        }
        deadlines.handshake_done(Clock::now());
        rearm_watchdog();
        session = server.factory(*this);
        asio::co_spawn(server.io, write_loop(), asio::detached);
        std::vector<std::uint8_t> buffer(kReadChunkBytes);
        while (!closed && !closing) {
            const std::size_t n =
                co_await stream.async_read_some(asio::buffer(buffer), asio::redirect_error(use_awaitable, ec));
            if (ec || closed) {
                if (!closed) {
                    const Status end = decoder.finish();
                    shut(end.ok() ? "peer closed the connection" : end.error().message);
                }
                co_return;
            }
            if (auto s = decoder.feed(ByteView(buffer.data(), n)); !s) {
                session->on_frame_error(s.error());
                close();
                co_return;
            }
            bool completed = false;
            while (!closed && !closing) {
                auto frame = decoder.next();
                if (!frame) break;
                completed = true;
                session->on_frame(*frame);
            }
            deadlines.bytes_read(Clock::now(), completed, decoder.buffered_bytes() > 0);
            rearm_watchdog();
            server.schedule_batch();
        }
    }
};

void detail::ServerState::forget(std::uint64_t id) {
    // Deferred: the connection may be deep in its own call stack.
    asio::post(io, [this, id] {
        const auto it = connections.find(id);
        if (it == connections.end()) return;
        admission.release(it->second->address());
        connections.erase(it);
    });
}

void detail::ServerState::refuse(tcp::socket& socket, const std::string& address, const std::string& why) {
    asio::error_code ec;
    socket.close(ec);
    if (const auto left_out = refusal_log.allow(Clock::now())) {
        if (*left_out == 0) {
            spdlog::info("refused a connection from {}: {}", address, why);
        } else {
            spdlog::info("refused a connection from {}: {} ({} more refused since the last such line)", address, why,
                         *left_out);
        }
    }
}

void detail::ServerState::schedule_batch() {
    if (batch_scheduled || batch_tasks.empty()) return;
    batch_scheduled = true;
    // Posted behind the reads that are already ready, so one pass serves many connections.
    asio::post(io, [this] {
        batch_scheduled = false;
        for (auto& task : batch_tasks) task();
    });
}

awaitable<void> detail::ServerState::accept_loop() {
    while (!stopping) {
        asio::error_code ec;
        tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
        if (ec) {
            if (stopping) co_return;
            continue;  // a transient failure (EMFILE, aborted handshake) must not end the server
        }
        const auto remote = socket.remote_endpoint(ec);
        if (ec) continue;  // gone already: the socket closes with this scope
        const std::string address = remote.address().to_string();
        if (auto why = admission.admit(address)) {
            refuse(socket, address, *why);
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);  // small answers must not wait for Nagle
        const std::uint64_t id = next_id++;
        auto conn = std::make_shared<ConnectionImpl>(*this, std::move(socket), id, address);
        connections.emplace(id, conn);
        asio::co_spawn(io, conn->run(), asio::detached);
    }
}

void detail::ServerState::begin_stop() {
    if (stopping) return;
    stopping = true;
    asio::error_code ec;
    acceptor.close(ec);
    signals.cancel(ec);
    for (auto& timer : periodic) timer->cancel();
    alarm.cancel();
    for (auto& task : stop_tasks) task();
    for (auto& [id, conn] : connections) conn->close();
    // Wait for queues to drain, at most shutdown_grace, then stop the loop.
    auto grace = std::make_shared<asio::steady_timer>(io);
    const auto give_up = Clock::now() + options.shutdown_grace;
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, grace, give_up, poll] {
        if (connections.empty() || Clock::now() >= give_up) {
            for (auto& [id, conn] : connections) conn->shut("server stopping");
            io.stop();
            *poll = nullptr;  // break the self-reference
            return;
        }
        grace->expires_after(std::chrono::milliseconds(10));
        grace->async_wait([poll](const asio::error_code&) {
            if (*poll) (*poll)();
        });
    };
    (*poll)();
}

TlsServer::TlsServer(ServerOptions options, SessionFactory factory)
    : impl_(std::make_unique<detail::ServerState>(std::move(options), std::move(factory))) {}

TlsServer::~TlsServer() = default;

Status TlsServer::bind() {
    auto ctx = make_server_context(impl_->options.identity);
    if (!ctx) return ctx.error();
    impl_->tls = std::move(*ctx);
    asio::error_code ec;
    const auto address = asio::ip::make_address(impl_->options.listen.host, ec);
    tcp::endpoint endpoint;
    if (ec) {
        tcp::resolver resolver(impl_->io);
        const auto results =
            resolver.resolve(impl_->options.listen.host, std::to_string(impl_->options.listen.port), ec);
        if (ec || results.empty()) {
            return make_error(Errc::invalid_argument, "cannot resolve listen host " + impl_->options.listen.host);
        }
        endpoint = *results.begin();
    } else {
        endpoint = tcp::endpoint(address, impl_->options.listen.port);
    }
    auto& acceptor = impl_->acceptor;
    if (acceptor.open(endpoint.protocol(), ec); ec) return make_error(Errc::unavailable, "socket: " + ec.message());
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (acceptor.bind(endpoint, ec); ec) {
        return make_error(Errc::unavailable,
                          "cannot listen on " + impl_->options.listen.to_string() + ": " + ec.message());
    }
    if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
        return make_error(Errc::unavailable, "listen: " + ec.message());
    }
    return {};
}

std::uint16_t TlsServer::bound_port() const {
    asio::error_code ec;
    const auto ep = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

namespace {

// A free function, not a capturing lambda: a coroutine's parameters live in its frame, a
// lambda's captures die with the lambda object.
awaitable<void> periodic_loop(asio::steady_timer& timer, std::chrono::milliseconds period, std::function<void()> task,
                              const bool& stopping) {
    while (!stopping) {
        timer.expires_after(period);
        asio::error_code ec;
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
        if (ec || stopping) co_return;
        task();
    }
}

}  // namespace

void TlsServer::every(std::chrono::milliseconds period, std::function<void()> task) {
    auto& timer = impl_->periodic.emplace_back(std::make_unique<asio::steady_timer>(impl_->io));
    asio::co_spawn(impl_->io, periodic_loop(*timer, period, std::move(task), impl_->stopping), asio::detached);
}

void TlsServer::alarm_in(std::chrono::milliseconds delay, std::function<void()> task) {
    detail::ServerState* impl = impl_.get();
    const std::uint64_t generation = ++impl->alarm_generation;
    impl->alarm.expires_after(delay);  // cancels the wait of the alarm it replaces
    impl->alarm.async_wait([impl, generation, task = std::move(task)](const asio::error_code& ec) {
        if (ec || impl->stopping || generation != impl->alarm_generation) return;
        task();
    });
}

void TlsServer::offload(std::function<void()> work, std::function<void()> done) {
    asio::post(impl_->workers, [impl = impl_.get(), work = std::move(work), done = std::move(done)]() mutable {
        work();
        asio::post(impl->io, [impl, done = std::move(done)] {
            done();
            impl->schedule_batch();
        });
    });
}

void TlsServer::after_batch(std::function<void()> task) { impl_->batch_tasks.push_back(std::move(task)); }

void TlsServer::on_stop(std::function<void()> task) { impl_->stop_tasks.push_back(std::move(task)); }

void TlsServer::post(std::function<void()> task) { asio::post(impl_->io, std::move(task)); }

Status TlsServer::run() {
    if (!impl_->acceptor.is_open()) {
        if (auto s = bind(); !s) return s;
    }
    impl_->signals.add(SIGTERM);
    impl_->signals.add(SIGINT);
    impl_->signals.async_wait([this](const asio::error_code& ec, int) {
        if (!ec) impl_->begin_stop();
    });
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    impl_->io.run();
    impl_->workers.join();  // a password check in flight finishes; its result is dropped
    return {};
}

void TlsServer::stop() {
    asio::post(impl_->io, [impl = impl_.get()] { impl->begin_stop(); });
}

}  // namespace twofold::net
