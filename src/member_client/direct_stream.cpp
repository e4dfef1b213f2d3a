#include "member_client/direct_stream.h"

namespace twofold::member_client {

namespace {

constexpr std::size_t kHeaderBytes = 5;

}  // namespace

Status FramedStream::send(DirectFrameKind kind, ByteView body, std::chrono::milliseconds timeout) {
    if (body.size() > kDirectFrameMaxBytes) return make_error(Errc::too_large, "direct frame above its limit");
    Bytes out;
    out.reserve(kHeaderBytes + body.size());
    out.push_back(static_cast<std::uint8_t>(kind));
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(body.size() >> shift));
    append(out, body);
    return stream_.send(out, timeout);
}

Result<DirectFrame> FramedStream::receive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (buffer_.size() >= kHeaderBytes) {
            const std::uint8_t kind = buffer_[0];
            if (kind != static_cast<std::uint8_t>(DirectFrameKind::noise) &&
                kind != static_cast<std::uint8_t>(DirectFrameKind::ended)) {
                return make_error(Errc::malformed, "direct frame of unknown kind " + std::to_string(kind));
            }
            std::size_t length = 0;
            for (std::size_t i = 1; i < kHeaderBytes; ++i) length = (length << 8) | buffer_[i];
            if (length > kDirectFrameMaxBytes) {
                return make_error(Errc::too_large, "direct frame of " + std::to_string(length) + " bytes, above " +
                                                       std::to_string(kDirectFrameMaxBytes));
            }
            if (buffer_.size() >= kHeaderBytes + length) {
                DirectFrame f{static_cast<DirectFrameKind>(kind),
                              Bytes(buffer_.begin() + kHeaderBytes, buffer_.begin() + kHeaderBytes + length)};
                buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(kHeaderBytes + length));
                return f;
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return make_error(Errc::timeout, "the peer sent nothing in time");
        auto more = stream_.receive(kDirectFrameMaxBytes, left);
        if (!more) return more.error();
        append(buffer_, *more);
    }
}

}  // namespace twofold::member_client
