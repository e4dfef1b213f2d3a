// The relay's vocabulary: keys and ids as the raw bytes protobuf carries them.
#pragma once

#include <cstdint>
#include <string>

#include "twofold/v1/relay.pb.h"

namespace twofold::relay {

using MemberKey = std::string;  // an Ed25519 identity public key, 32 raw bytes
using GroupId = std::string;    // 16 raw bytes, opaque to the relay
using ConnId = std::uint64_t;   // one authenticated (or not yet) connection

inline constexpr std::uint64_t kMsPerSecond = 1000;

// One stored envelope. Exactly one of recipient_key (mailbox) and group_id (group) is set.
struct StoredEnvelope {
    std::uint64_t id = 0;
    v1::EnvelopeType type = v1::ENVELOPE_TYPE_UNSPECIFIED;
    MemberKey sender_key;
    MemberKey recipient_key;
    GroupId group_id;
    std::string payload;  // ciphertext: opaque, never logged
    std::uint64_t expires_ms = 0;
};

// A member that subscribed to a group with a statement of this epoch.
struct Subscription {
    GroupId group;
    MemberKey member;
    std::uint64_t epoch = 0;
};

// The newest membership epoch the relay has seen for a group, and when it first saw it.
struct GroupEpoch {
    GroupId group;
    std::uint64_t epoch = 0;
    std::uint64_t first_seen_ms = 0;
};

}  // namespace twofold::relay
