// Exit statuses of the twofold CLI, so scripts can tell a typo from a failure.
#pragma once

namespace twofold::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command was well formed but could not be done
inline constexpr int kExitUsage = 2;    // a missing or malformed argument

}  // namespace twofold::cli
