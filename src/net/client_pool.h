// Many TLS client connections on one thread, for load generators (twofold-bench): each
// connection's frames arrive through one callback, tagged with the connection's index.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "crypto/bytes.h"
#include "net/endpoint.h"

namespace twofold::net {

namespace detail {
struct PoolState;
}

class ClientPool {
  public:
    using FrameHandler = std::function<void(std::size_t connection, ByteView payload)>;

    ClientPool(Endpoint server, std::string fingerprint, FrameHandler on_frame);
    ~ClientPool();
    ClientPool(const ClientPool&) = delete;
    ClientPool& operator=(const ClientPool&) = delete;

    // Opens `count` more connections (TLS handshakes included); returns the first new index.
    Result<std::size_t> connect(std::size_t count, std::chrono::milliseconds timeout);
    // Frames and queues a payload on one connection; written while run_until() runs.
    void send(std::size_t connection, ByteView payload);
    // Runs the event loop until `done()` is true (checked after every event), the timeout
    // (timeout), or a serving connection fails (unavailable, naming it and why).
    Status run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);
    std::size_t size() const;

  private:
    std::unique_ptr<detail::PoolState> state_;
};

}  // namespace twofold::net
