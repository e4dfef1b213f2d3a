// A blocking TLS 1.3 client of framed messages, for the CLI, tests and benchmarks. The server is
// authenticated by its pinned certificate fingerprint and nothing else.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/result.h"
#include "crypto/bytes.h"
#include "net/endpoint.h"
#include "wire/frame.h"

namespace twofold::net {

struct ClientOptions {
    std::chrono::milliseconds connect_timeout{10'000};
    std::size_t max_frame_bytes = wire::kDefaultMaxFrameBytes;
};

class TlsClient {
  public:
    // unavailable (cannot connect), auth_failed (fingerprint mismatch: maybe an attacker),
    // timeout.
    static Result<std::unique_ptr<TlsClient>> connect(const Endpoint& server, const std::string& fingerprint,
                                                      ClientOptions options = {});
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    Status send(ByteView payload);
    // Raw bytes, unframed: for tests that must send what a well-behaved client never would.
    Status send_raw(ByteView bytes);
    // The next frame's payload. timeout if none arrives in time, unavailable if the server
    // closed the connection, too_large/truncated for a broken stream.
    Result<Bytes> receive(std::chrono::milliseconds timeout);
    void close();

  private:
    struct Impl;
    explicit TlsClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace twofold::net
