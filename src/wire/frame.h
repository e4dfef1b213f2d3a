// Framing: every message on a stream is a 4-byte big-endian length, then that many bytes.
//
// The decoder never allocates more than the configured maximum for one frame: a header that
// announces more is an error before a byte of payload is buffered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "crypto/bytes.h"

namespace twofold::wire {

inline constexpr std::size_t kFrameHeaderBytes = 4;
inline constexpr std::size_t kDefaultMaxFrameBytes = std::size_t{1024} * 1024;  // 1 MiB

// Header and payload in one buffer. too_large if the payload exceeds max_frame_bytes.
Result<Bytes> encode_frame(ByteView payload, std::size_t max_frame_bytes = kDefaultMaxFrameBytes);

// Appends one frame to a write buffer the caller keeps (many frames, one write). The caller has
// checked the payload against its maximum.
void append_frame(Bytes& out, ByteView payload);

// Incremental decoder for a byte stream (a TLS connection): feed what arrives, take whole frames.
class FrameDecoder {
  public:
    explicit FrameDecoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes);

    // Appends bytes from the stream. Fails with too_large as soon as a header announces a
    // frame above the maximum; the decoder then stays failed (the stream cannot be resynchronised).
    Status feed(ByteView bytes);

    // The next complete frame's payload, or nullopt if more bytes are needed.
    std::optional<Bytes> next();

    // At the end of the stream: truncated if a partial frame is left over.
    Status finish() const;

    std::size_t buffered_bytes() const noexcept { return buffer_.size() - read_; }
    std::size_t max_frame_bytes() const noexcept { return max_frame_bytes_; }

  private:
    // Fails the decoder if the buffered header announces an oversized frame.
    void check_next_header();

    std::size_t max_frame_bytes_;
    Bytes buffer_;
    std::size_t read_ = 0;          // bytes of buffer_ already handed out
    std::optional<Error> failure_;  // sticky: the stream cannot be resynchronised
};

// Exactly one frame spanning all of `bytes`: truncated, too_large, or malformed (trailing bytes).
Result<Bytes> decode_single_frame(ByteView bytes, std::size_t max_frame_bytes = kDefaultMaxFrameBytes);

}  // namespace twofold::wire
