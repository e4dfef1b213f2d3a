// A TLS 1.3 server of framed messages on one thread (standalone Asio + OpenSSL, C++20
// coroutines). The protocol logic above it sees sessions, frames and timers, never a socket.
//
// Everything a Session does runs on the server's one thread, so protocol state needs no locks;
// work that blocks (a database commit) blocks every connection, so callers keep it short and
// batch it (see `after_batch`).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "crypto/bytes.h"
#include "net/endpoint.h"
#include "net/tls_identity.h"
#include "wire/frame.h"

namespace twofold::net {

// The server's side of one connection, handed to the Session that serves it.
class Connection {
  public:
    virtual ~Connection() = default;
    // Frames and queues a payload. Fails (and closes the connection) when the peer is so slow
    // that its queue would exceed ServerOptions::max_queued_bytes: one slow reader never
    // holds memory or other connections hostage.
    virtual Status send(ByteView payload) = 0;
    // Closes after the frames already queued have been written.
    virtual void close() = 0;
    virtual const std::string& peer() const = 0;  // "127.0.0.1:53122", for logs
    virtual std::uint64_t id() const = 0;         // unique for the server's lifetime
    // The service vouches for the peer (a login, an accepted AuthResponse): the connection is no
    // longer closed at ServerOptions::auth_timeout.
    virtual void set_authenticated() = 0;
    // While the service itself works on the peer's credentials (a password hash waiting for the
    // worker), that time does not count against auth_timeout. Holds nest; release each one.
    virtual void hold_auth_deadline() = 0;
    virtual void release_auth_deadline() = 0;
};

// What the application does with one connection.
class Session {
  public:
    virtual ~Session() = default;
    virtual void on_frame(ByteView payload) = 0;
    // The stream broke its framing (an oversized frame, or one not complete within
    // ServerOptions::frame_timeout): the session may send a last error message; the connection
    // then closes, since a length-prefixed stream cannot resynchronise.
    virtual void on_frame_error(const Error& error) = 0;
    // The stream failed (oversized or truncated frame, a deadline, peer gone); called once,
    // and the Connection is unusable afterwards.
    virtual void on_close(const std::string& reason) = 0;
};

namespace detail {
struct ServerState;  // defined in tls_server.cpp, where Asio lives
}

using SessionFactory = std::function<std::unique_ptr<Session>(Connection&)>;

struct ServerOptions {
    Endpoint listen;
    TlsIdentity identity;
    std::size_t max_connections = 4096;
    // One host cannot take every slot: more from one source address are refused at accept.
    std::size_t max_connections_per_address = 64;
    std::size_t max_frame_bytes = wire::kDefaultMaxFrameBytes;
    std::size_t max_queued_bytes = 16 * wire::kDefaultMaxFrameBytes;
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds idle_timeout{120'000};
    // A frame's bytes must all arrive within this of its first: a peer trickling bytes is cut.
    std::chrono::milliseconds frame_timeout{10'000};
    // From accept (handshake included) until the session calls Connection::set_authenticated.
    std::chrono::milliseconds auth_timeout{10'000};
    // To flush queued frames on SIGTERM, and for a closing connection's last frames.
    std::chrono::milliseconds shutdown_grace{2'000};
};

class TlsServer {
  public:
    TlsServer(ServerOptions options, SessionFactory factory);
    ~TlsServer();
    TlsServer(const TlsServer&) = delete;
    TlsServer& operator=(const TlsServer&) = delete;

    // Binds the listening socket; with port 0 the kernel picks one (see bound_port()).
    Status bind();
    std::uint16_t bound_port() const;

    // Calls `task` every `period` on the server's thread (timed RN2 renewal, expiry sweeps).
    void every(std::chrono::milliseconds period, std::function<void()> task);
    // Calls `task` once on the server's thread after `delay` (membership expiries: the GMS wakes
    // at the next one instead of polling). One alarm per server: arming it again replaces the
    // alarm pending, which then never runs. Call on the server's thread, or before run().
    void alarm_in(std::chrono::milliseconds delay, std::function<void()> task);
    // Calls `task` on the server's thread after each batch of frames read in one pass over the
    // ready connections: the place for a group commit before answers are released.
    void after_batch(std::function<void()> task);
    // Runs `work` on a worker thread (password hashing: Argon2id must not stall every
    // connection), then `done` on the server's thread, followed by a batch (see after_batch).
    void offload(std::function<void()> work, std::function<void()> done);
    // Called once when a stop begins (SIGTERM/SIGINT or stop()), before connections drain.
    void on_stop(std::function<void()> task);
    // Thread-safe: runs `task` on the server's thread (a worker handing back its result). Tasks
    // posted after run() returned never run.
    void post(std::function<void()> task);

    // Serves until SIGTERM, SIGINT or stop(): then stops accepting, flushes queued frames for
    // up to shutdown_grace, and returns.
    Status run();
    // Thread-safe: asks run() to return.
    void stop();

  private:
    std::unique_ptr<detail::ServerState> impl_;
};

}  // namespace twofold::net
