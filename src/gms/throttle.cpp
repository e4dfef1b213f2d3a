#include "gms/throttle.h"

#include <algorithm>

namespace twofold::gms {

std::uint64_t LoginThrottle::wait_ms(const std::string& key, std::uint64_t now_ms) const {
    const auto it = entries_.find(key);
    if (it == entries_.end() || it->second.locked_until_ms <= now_ms) return 0;
    return it->second.locked_until_ms - now_ms;
}

void LoginThrottle::failed(const std::string& key, std::uint64_t now_ms) {
    Entry& e = entries_[key];
    ++e.failures;
    if (e.failures < kFreeFailures) return;
    const unsigned doublings = std::min(e.failures - kFreeFailures, 20u);
    const std::uint64_t lockout = std::min<std::uint64_t>(1000ULL << doublings, kMaxLockoutMs);
    e.locked_until_ms = now_ms + lockout;
}

bool RequestBudget::take(std::uint64_t key, std::uint64_t now_ms) {
    auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now_ms});
    Bucket& b = it->second;
    if (!fresh && now_ms > b.updated_ms) {
        b.tokens = std::min(burst_, b.tokens + per_second_ * static_cast<double>(now_ms - b.updated_ms) / 1000.0);
        b.updated_ms = now_ms;
    }
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

}  // namespace twofold::gms
