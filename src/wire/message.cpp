#include "wire/message.h"

namespace twofold::wire {

Result<Bytes> encode_message(const google::protobuf::MessageLite& message, std::size_t max_frame_bytes) {
    const std::size_t size = message.ByteSizeLong();
    if (size > max_frame_bytes) {
        return make_error(Errc::too_large, message.GetTypeName() + " of " + std::to_string(size) +
                                               " bytes exceeds the frame maximum of " + std::to_string(max_frame_bytes));
    }
    Bytes out(kFrameHeaderBytes + size);
    const auto n = static_cast<std::uint32_t>(size);
    out[0] = static_cast<std::uint8_t>(n >> 24);
    out[1] = static_cast<std::uint8_t>(n >> 16);
    out[2] = static_cast<std::uint8_t>(n >> 8);
    out[3] = static_cast<std::uint8_t>(n);
    if (!message.SerializeToArray(out.data() + kFrameHeaderBytes, static_cast<int>(size))) {
        return make_error(Errc::internal, message.GetTypeName() + " failed to serialise");
    }
    return out;
}

Status parse_into(ByteView payload, google::protobuf::MessageLite& out) {
    if (payload.size() > static_cast<std::size_t>(INT32_MAX) ||
        !out.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        return make_error(Errc::malformed, out.GetTypeName() + ": payload of " + std::to_string(payload.size()) +
                                               " bytes does not parse");
    }
    return {};
}

}  // namespace twofold::wire
