// A token bucket: `rate` tokens a second, at most `burst` saved up. Time comes from the caller.
#pragma once

#include <algorithm>
#include <cstdint>

namespace twofold::relay {

class TokenBucket {
  public:
    TokenBucket(double rate_per_second, double burst, std::uint64_t now_ms)
        : rate_per_ms_(rate_per_second / 1000.0), burst_(burst), tokens_(burst), last_ms_(now_ms) {}

    // Takes one token if there is one.
    bool take(std::uint64_t now_ms) {
        if (now_ms > last_ms_) {
            tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * rate_per_ms_);
            last_ms_ = now_ms;
        }
        if (tokens_ < 1.0) return false;
        tokens_ -= 1.0;
        return true;
    }

  private:
    double rate_per_ms_;
    double burst_;
    double tokens_;
    std::uint64_t last_ms_;
};

}  // namespace twofold::relay
