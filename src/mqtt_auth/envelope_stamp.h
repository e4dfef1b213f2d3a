// The broker's stamp on a group envelope: the membership epoch of the statement that let the
// publisher write, appended by the plugin as relay.proto's Envelope field 7 (fixed64, the last
// 9 bytes). With it a delivery can be decided as twofold-relay decides it — a member is owed the
// group's envelopes of its membership's epochs on (member_since) — though mosquitto's read check
// sees only the topic and the payload. Pure: bytes in, bytes out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "relay/types.h"

namespace twofold::mqtt_auth {

inline constexpr std::size_t kStampBytes = 9;  // tag (field 7, fixed64) + 8 bytes little-endian

// A publication on a group's topic must be an envelope for that group, and must not carry the
// stamp itself. Errors are malformed and name what was wrong.
Status check_group_envelope(std::string_view publication, const relay::GroupId& group);

// The publication with the stamp appended (what the broker stores and delivers).
std::string stamped(std::string_view publication, std::uint64_t epoch);

// The stamp of a stored group envelope; nullopt when it has none (queued before the plugin
// stamped, or not from a client publication). Genuine: what precedes the last 9 bytes must
// itself be a whole envelope without field 7, which bytes a publisher hid inside its payload
// field cannot be (the cut falls inside that field).
std::optional<std::uint64_t> stamp_of(std::string_view delivery);

}  // namespace twofold::mqtt_auth
