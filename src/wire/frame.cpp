#include "wire/frame.h"

#include <string>

namespace twofold::wire {

namespace {

std::uint32_t read_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

Error frame_too_large(std::size_t announced, std::size_t max) {
    return make_error(Errc::too_large,
                      "frame of " + std::to_string(announced) + " bytes exceeds the maximum of " + std::to_string(max));
}

}  // namespace

Result<Bytes> encode_frame(ByteView payload, std::size_t max_frame_bytes) {
    if (payload.size() > max_frame_bytes || payload.size() > UINT32_MAX) {
        return frame_too_large(payload.size(), max_frame_bytes);
    }
    Bytes out;
    out.reserve(kFrameHeaderBytes + payload.size());
    append_frame(out, payload);
    return out;
}

void append_frame(Bytes& out, ByteView payload) {
    const auto n = static_cast<std::uint32_t>(payload.size());
    const std::uint8_t header[kFrameHeaderBytes] = {static_cast<std::uint8_t>(n >> 24),
                                                    static_cast<std::uint8_t>(n >> 16),
                                                    static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
    out.insert(out.end(), std::begin(header), std::end(header));
    append(out, payload);
}

FrameDecoder::FrameDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

void FrameDecoder::check_next_header() {
    if (buffered_bytes() < kFrameHeaderBytes) return;
    const std::size_t announced = read_be32(buffer_.data() + read_);
    if (announced > max_frame_bytes_) {
        failure_ = frame_too_large(announced, max_frame_bytes_);
        buffer_.clear();
        read_ = 0;
    }
}

Status FrameDecoder::feed(ByteView bytes) {
    if (failure_) return *failure_;
    // Drop consumed bytes before growing, so the buffer stays near one frame in size.
    if (read_ > 0) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
        read_ = 0;
    }
    append(buffer_, bytes);
    check_next_header();
    if (failure_) return *failure_;
    return {};
}

std::optional<Bytes> FrameDecoder::next() {
    if (failure_ || buffered_bytes() < kFrameHeaderBytes) return std::nullopt;
    const std::size_t n = read_be32(buffer_.data() + read_);
    if (buffered_bytes() < kFrameHeaderBytes + n) return std::nullopt;
    const auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(read_ + kFrameHeaderBytes);
    Bytes payload(begin, begin + static_cast<std::ptrdiff_t>(n));
    read_ += kFrameHeaderBytes + n;
    // The next frame may already be buffered: check its header now, so an oversized one fails
    // the stream (reported by the next feed() or finish()) instead of waiting to be buffered.
    check_next_header();
    return payload;
}

Status FrameDecoder::finish() const {
    if (failure_) return *failure_;
    if (buffered_bytes() == 0) return {};
    if (buffered_bytes() < kFrameHeaderBytes) {
        return make_error(Errc::truncated,
                          "stream ended inside a frame header (" + std::to_string(buffered_bytes()) + " of 4 bytes)");
    }
    const std::size_t n = read_be32(buffer_.data() + read_);
    return make_error(Errc::truncated,
                      "stream ended inside a frame: " + std::to_string(buffered_bytes() - kFrameHeaderBytes) + " of " +
                          std::to_string(n) + " bytes");
}

Result<Bytes> decode_single_frame(ByteView bytes, std::size_t max_frame_bytes) {
    if (bytes.size() < kFrameHeaderBytes) {
        return make_error(Errc::truncated, "frame header needs 4 bytes, got " + std::to_string(bytes.size()));
    }
    const std::size_t n = read_be32(bytes.data());
    if (n > max_frame_bytes) return frame_too_large(n, max_frame_bytes);
    if (bytes.size() < kFrameHeaderBytes + n) {
        return make_error(Errc::truncated, "frame announces " + std::to_string(n) + " bytes, only " +
                                               std::to_string(bytes.size() - kFrameHeaderBytes) + " present");
    }
    if (bytes.size() > kFrameHeaderBytes + n) {
        return make_error(Errc::malformed,
                          std::to_string(bytes.size() - kFrameHeaderBytes - n) + " trailing bytes after the frame");
    }
    return Bytes(bytes.begin() + kFrameHeaderBytes, bytes.end());
}

}  // namespace twofold::wire
