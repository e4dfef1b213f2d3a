#include "net/client_pool.h"

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <array>

#include "net/tls_context.h"
#include "wire/frame.h"

namespace twofold::net {

using tcp = asio::ip::tcp;

namespace {

struct PooledConnection {
    explicit PooledConnection(asio::io_context& io, asio::ssl::context& tls) : stream(io, tls) {}
    asio::ssl::stream<tcp::socket> stream;
    wire::FrameDecoder decoder;
    Bytes pending;  // frames queued since the last write began, back to back
    Bytes out;      // the frames being written
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(std::size_t{16} * 1024);
    bool writing = false;
    bool dirty = false;  // listed for the next write pass
    bool ready = false;
    bool failed = false;
};

}  // namespace

struct detail::PoolState {
    Endpoint server;
    std::string fingerprint;
    ClientPool::FrameHandler on_frame;
    asio::io_context io{1};
    std::unique_ptr<asio::ssl::context> tls;
    std::vector<std::unique_ptr<PooledConnection>> connections;
    std::string first_error;

    // A connection that was serving is gone: nothing more will arrive on it, so the run ends.
    void fail(std::size_t i, const std::string& why) {
        connections[i]->failed = true;
        if (first_error.empty()) first_error = "connection " + std::to_string(i) + ": " + why;
    }

    void read(std::size_t i) {
        PooledConnection& c = *connections[i];
        c.stream.async_read_some(asio::buffer(c.buffer), [this, i](const asio::error_code& ec, std::size_t n) {
            PooledConnection& c = *connections[i];
            if (ec) {
                fail(i, ec.message());
                return;
            }
            if (auto fed = c.decoder.feed(ByteView(c.buffer.data(), n)); !fed) {
                fail(i, fed.error().message);
                return;
            }
            while (auto frame = c.decoder.next()) on_frame(i, *frame);
            read(i);
        });
    }

    // Frames queued on one connection while an event is handled go out together, in one TLS
    // record and one system call, once the event's handler returns (a member answering a batch
    // of answers sends one write, not one per frame).
    std::vector<std::size_t> dirty;
    bool flush_posted = false;

    void mark(std::size_t i) {
        PooledConnection& c = *connections[i];
        if (c.dirty || c.writing || !c.ready || c.pending.empty()) return;
        c.dirty = true;
        dirty.push_back(i);
        if (flush_posted) return;
        flush_posted = true;
        asio::post(io, [this] {
            flush_posted = false;
            std::vector<std::size_t> now;
            now.swap(dirty);
            for (const std::size_t k : now) {
                connections[k]->dirty = false;
                write(k);
            }
        });
    }

    void write(std::size_t i) {
        PooledConnection& c = *connections[i];
        if (c.writing || c.pending.empty() || !c.ready || c.failed) return;
        c.writing = true;
        c.out.clear();
        c.out.swap(c.pending);
        asio::async_write(c.stream, asio::buffer(c.out), [this, i](const asio::error_code& ec, std::size_t) {
            PooledConnection& c = *connections[i];
            c.writing = false;
            if (ec) {
                fail(i, ec.message());
                return;
            }
            write(i);
        });
    }
};

ClientPool::ClientPool(Endpoint server, std::string fingerprint, FrameHandler on_frame)
    : state_(std::make_unique<detail::PoolState>()) {
    state_->server = std::move(server);
    state_->fingerprint = std::move(fingerprint);
    state_->on_frame = std::move(on_frame);
}

ClientPool::~ClientPool() = default;

std::size_t ClientPool::size() const { return state_->connections.size(); }

Result<std::size_t> ClientPool::connect(std::size_t count, std::chrono::milliseconds timeout) {
    auto& s = *state_;
    if (!s.tls) {
        auto ctx = make_client_context(s.fingerprint);
        if (!ctx) return ctx.error();
        s.tls = std::make_unique<asio::ssl::context>(std::move(*ctx));
    }
    asio::error_code ec;
    tcp::resolver resolver(s.io);
    const auto endpoints = resolver.resolve(s.server.host, std::to_string(s.server.port), ec);
    if (ec) return make_error(Errc::unavailable, "cannot resolve " + s.server.host);
    const std::size_t first = s.connections.size();
    std::size_t pending = count;
    for (std::size_t k = 0; k < count; ++k) {
        const std::size_t i = s.connections.size();
        s.connections.push_back(std::make_unique<PooledConnection>(s.io, *s.tls));
        PooledConnection& c = *s.connections.back();
        asio::async_connect(
            c.stream.lowest_layer(), endpoints, [&s, i, &pending](const asio::error_code& e, const tcp::endpoint&) {
                PooledConnection& c = *s.connections[i];
                if (e) {
                    c.failed = true;
                    --pending;
                    return;
                }
                c.stream.lowest_layer().set_option(tcp::no_delay(true));
                c.stream.async_handshake(asio::ssl::stream_base::client, [&s, i, &pending](const asio::error_code& e2) {
                    PooledConnection& c = *s.connections[i];
                    --pending;
                    if (e2) {
                        c.failed = true;
                        return;
                    }
                    c.ready = true;
                    s.read(i);
                    s.mark(i);
                });
            });
    }
    auto status = run_until([&pending] { return pending == 0; }, timeout);
    if (!status) return status.error();
    for (std::size_t i = first; i < s.connections.size(); ++i) {
        if (!s.connections[i]->ready)
            return make_error(Errc::unavailable, "connection " + std::to_string(i) + " failed");
    }
    return first;
}

void ClientPool::send(std::size_t connection, ByteView payload) {
    if (payload.size() > wire::kDefaultMaxFrameBytes) return;
    wire::append_frame(state_->connections[connection]->pending, payload);
    state_->mark(connection);
}

Status ClientPool::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto& io = state_->io;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    io.restart();
    while (!done()) {
        if (!state_->first_error.empty()) return make_error(Errc::unavailable, state_->first_error);
        if (std::chrono::steady_clock::now() >= deadline) {
            return make_error(Errc::timeout, "load did not complete within " + std::to_string(timeout.count()) + " ms");
        }
        if (io.run_one_for(std::chrono::milliseconds(50)) == 0 && io.stopped()) io.restart();
    }
    return {};
}

}  // namespace twofold::net
