#include "wire/error_code.h"

namespace twofold::wire {

v1::ErrorCode to_wire(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument:
        case Errc::malformed:
        case Errc::truncated: return v1::ERROR_CODE_MALFORMED;
        case Errc::too_large: return v1::ERROR_CODE_TOO_LARGE;
        case Errc::auth_failed: return v1::ERROR_CODE_UNAUTHENTICATED;
        case Errc::forbidden: return v1::ERROR_CODE_FORBIDDEN;
        case Errc::stale_epoch: return v1::ERROR_CODE_STALE_EPOCH;
        case Errc::rate_limited: return v1::ERROR_CODE_RATE_LIMITED;
        case Errc::conflict: return v1::ERROR_CODE_CONFLICT;
        case Errc::unknown: return v1::ERROR_CODE_UNKNOWN_GROUP;
        case Errc::timeout:
        case Errc::unavailable:
        case Errc::internal: break;
    }
    return v1::ERROR_CODE_INTERNAL;
}

Errc from_wire(v1::ErrorCode code) noexcept {
    switch (code) {
        case v1::ERROR_CODE_MALFORMED: return Errc::malformed;
        case v1::ERROR_CODE_TOO_LARGE: return Errc::too_large;
        case v1::ERROR_CODE_UNAUTHENTICATED: return Errc::auth_failed;
        case v1::ERROR_CODE_FORBIDDEN: return Errc::forbidden;
        case v1::ERROR_CODE_UNKNOWN_GROUP:
        case v1::ERROR_CODE_UNKNOWN_MEMBER: return Errc::unknown;
        case v1::ERROR_CODE_STALE_EPOCH: return Errc::stale_epoch;
        case v1::ERROR_CODE_RATE_LIMITED: return Errc::rate_limited;
        case v1::ERROR_CODE_CONFLICT: return Errc::conflict;
        case v1::ERROR_CODE_NOT_LEADER: return Errc::unavailable;  // not here: GmsResponse.leader says where
        default: return Errc::internal;
    }
}

}  // namespace twofold::wire
