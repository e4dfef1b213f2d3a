// Cheap refusals before expensive work: login failures back off exponentially per account and
// per address, and each account has a request budget (a token bucket). Pure: time is passed in.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace twofold::gms {

class LoginThrottle {
  public:
    static constexpr unsigned kFreeFailures = 5;          // then 1 s, 2 s, 4 s ... lockouts
    static constexpr std::uint64_t kMaxLockoutMs = 300'000;

    // 0 if `key` may try now, else the milliseconds until it may.
    std::uint64_t wait_ms(const std::string& key, std::uint64_t now_ms) const;
    void failed(const std::string& key, std::uint64_t now_ms);
    void succeeded(const std::string& key) { entries_.erase(key); }

  private:
    struct Entry {
        unsigned failures = 0;
        std::uint64_t locked_until_ms = 0;
    };
    std::unordered_map<std::string, Entry> entries_;
};

class RequestBudget {
  public:
    RequestBudget(double per_second, double burst) : per_second_(per_second), burst_(burst) {}
    // Takes one token for `key`; false when the bucket is empty.
    bool take(std::uint64_t key, std::uint64_t now_ms);
    void forget(std::uint64_t key) { buckets_.erase(key); }

  private:
    struct Bucket {
        double tokens;
        std::uint64_t updated_ms;
    };
    double per_second_;
    double burst_;
    std::unordered_map<std::uint64_t, Bucket> buckets_;
};

}  // namespace twofold::gms
