#include "core/result.h"

namespace twofold {

const char* errc_name(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument: return "invalid argument";
        case Errc::malformed: return "malformed";
        case Errc::too_large: return "too large";
        case Errc::truncated: return "truncated";
        case Errc::auth_failed: return "authentication failed";
        case Errc::stale_epoch: return "stale epoch";
        case Errc::unknown: return "unknown";
        case Errc::forbidden: return "forbidden";
        case Errc::rate_limited: return "rate limited";
        case Errc::conflict: return "conflict";
        case Errc::timeout: return "timed out";
        case Errc::unavailable: return "unavailable";
        case Errc::internal: return "internal error";
    }
    return "unknown error";
}

}  // namespace twofold
