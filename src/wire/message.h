// Protocol Buffers messages in and out of frames, with typed errors and no exceptions.
#pragma once

#include <google/protobuf/message_lite.h>

#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/bytes.h"
#include "wire/frame.h"

namespace twofold::wire {

// Serialises and frames a message; too_large if its encoding exceeds the frame maximum.
Result<Bytes> encode_message(const google::protobuf::MessageLite& message,
                             std::size_t max_frame_bytes = kDefaultMaxFrameBytes);

// Parses a frame payload into `out`. malformed (naming the message type) if it does not parse.
Status parse_into(ByteView payload, google::protobuf::MessageLite& out);

template <class Message>
Result<Message> parse_message(ByteView payload) {
    Message m;
    if (auto s = parse_into(payload, m); !s) return s.error();
    return m;
}

}  // namespace twofold::wire
