// Small timing helpers shared by the benchmark subcommands: a monotonic clock, medians and
// percentiles, and one-line JSON output.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace twofold::bench {

using Clock = std::chrono::steady_clock;

inline double micros_since(Clock::time_point start) {
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// The q-quantile (0..1) by nearest rank; 0 for no samples.
inline double quantile(std::vector<double> samples, double q) {
    if (samples.empty()) return 0;
    std::sort(samples.begin(), samples.end());
    const auto rank = static_cast<std::size_t>(std::lround(q * static_cast<double>(samples.size() - 1)));
    return samples[std::min(rank, samples.size() - 1)];
}

inline double median(std::vector<double> samples) { return quantile(std::move(samples), 0.5); }

// Builds {"a":1,"b":2.5} in insertion order.
class JsonLine {
  public:
    JsonLine& add(const std::string& key, double value) {
        std::ostringstream v;
        v.precision(value >= 100 ? 0 : 2);
        v << std::fixed << value;
        return raw(key, v.str());
    }
    JsonLine& add(const std::string& key, std::uint64_t value) { return raw(key, std::to_string(value)); }
    JsonLine& add(const std::string& key, const std::string& value) { return raw(key, "\"" + value + "\""); }
    std::string str() const { return "{" + body_ + "}"; }

  private:
    JsonLine& raw(const std::string& key, const std::string& value) {
        body_ += (body_.empty() ? "\"" : ",\"") + key + "\":" + value;
        return *this;
    }
    std::string body_;
};

}  // namespace twofold::bench
