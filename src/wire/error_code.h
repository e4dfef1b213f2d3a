// The one mapping between the library's error kinds (core/result.h) and the wire's ErrorCode.
#pragma once

#include "core/result.h"
#include "twofold/v1/common.pb.h"

namespace twofold::wire {

v1::ErrorCode to_wire(Errc code) noexcept;
Errc from_wire(v1::ErrorCode code) noexcept;

}  // namespace twofold::wire
