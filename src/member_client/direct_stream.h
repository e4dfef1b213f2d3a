// The byte stream the direct channel runs over, and its framing. The stream is whatever carries
// bytes between the two members (the ICE agent's reliable stream in production, a socketpair in
// tests); the frames on it are Noise messages, so nothing here needs to be trusted.
//
//   frame = kind (1 byte) ‖ length (4 bytes, big-endian) ‖ body
//   kind 1: a Noise handshake or transport message
//   kind 2: "this attempt ended", plain text from the inviter (unauthenticated: it only ends the
//           attempt, which anyone on the path could do by cutting it)
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/result.h"
#include "crypto/bytes.h"

namespace twofold::member_client {

inline constexpr std::size_t kDirectFrameMaxBytes = 65535 + 64;  // a Noise message and change

class DirectStream {
  public:
    virtual ~DirectStream() = default;
    virtual Status send(ByteView bytes, std::chrono::milliseconds timeout) = 0;
    // At least one byte and at most max; Errc::timeout when none arrive in time.
    virtual Result<Bytes> receive(std::size_t max, std::chrono::milliseconds timeout) = 0;
};

enum class DirectFrameKind : std::uint8_t { noise = 1, ended = 2 };

struct DirectFrame {
    DirectFrameKind kind = DirectFrameKind::noise;
    Bytes body;
};

class FramedStream {
  public:
    explicit FramedStream(DirectStream& stream) : stream_(stream) {}
    Status send(DirectFrameKind kind, ByteView body, std::chrono::milliseconds timeout);
    // The next whole frame; an unknown kind or a length above kDirectFrameMaxBytes is malformed.
    Result<DirectFrame> receive(std::chrono::milliseconds timeout);

  private:
    DirectStream& stream_;
    Bytes buffer_;
};

}  // namespace twofold::member_client
