// The relay's vocabulary: keys and ids as the raw bytes protobuf carries them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

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
    // A group envelope: the membership epoch of the publisher's statement, so that a member
    // admitted at epoch e is owed exactly the envelopes of epoch >= e. 0: stored before the
    // relay kept epochs (schema version 1), or a mailbox envelope.
    std::uint64_t epoch = 0;
};

// A member that subscribed to a group with a statement of this epoch, in the membership that
// began at member_since (0: a statement without it, from a GMS older than the field).
struct Subscription {
    GroupId group;
    MemberKey member;
    std::uint64_t epoch = 0;
    std::uint64_t member_since = 0;
};

// What dropping a group's oldest envelopes released: payload bytes no longer owed, per recipient.
struct Released {
    std::uint64_t bytes = 0;
    std::vector<std::pair<MemberKey, std::uint64_t>> owed;
};

// The newest membership epoch the relay has seen for a group, and when it first saw it.
struct GroupEpoch {
    GroupId group;
    std::uint64_t epoch = 0;
    std::uint64_t first_seen_ms = 0;
};

}  // namespace twofold::relay
