// Membership validity (issue 14, time-driven LKH): how long a membership lasts, as people write
// it and as the GMS checks it. Pure: "now" is always an argument.
//
//   durations  "90m", "1h", "3s", "2d", "1h30m" (units s, m, h, d; at least one)
//   times      "2027-01-31T18:00Z", "2027-01-31T18:00:30Z" (UTC only: the Z is required)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace twofold::validity {

// Seconds, from "90m", "1h30m" ...; invalid_argument naming the text otherwise.
Result<std::uint64_t> parse_duration(std::string_view text);
// Unix seconds from "YYYY-MM-DDTHH:MM[:SS]Z"; invalid_argument naming the text otherwise.
Result<std::uint64_t> parse_utc_time(std::string_view text);
// "2027-01-31 18:00:00 UTC": how expiry times are shown to people.
std::string format_utc_time(std::uint64_t unix_seconds);
// "1h30m", "90s", "2d": how a policy's durations are shown.
std::string format_duration(std::uint64_t seconds);

// The validity a request asks for, checked against a group's policy. `max_seconds` 0 means no
// limit. A time not after `now` is refused; one beyond now + max is refused naming the limit.
// `requested` 0 (none asked for) gives now + max in a group with a maximum, and 0 (never)
// in one without.
Result<std::uint64_t> check_validity(std::uint64_t requested, std::uint64_t now, std::uint64_t max_seconds);

}  // namespace twofold::validity
