// Who gets a connection slot, decided at accept before a TLS handshake is spent on it: at most
// max_connections in all, and at most max_per_address from one source address, so that one host
// cannot take every slot. Pure: no sockets, no clock but the one passed in.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

namespace twofold::net {

class Admission {
  public:
    Admission(std::size_t max_connections, std::size_t max_per_address);

    // nullopt: admitted, and counted until release(address); otherwise why not.
    std::optional<std::string> admit(const std::string& address);
    void release(const std::string& address);

    std::size_t total() const noexcept { return total_; }

  private:
    std::size_t max_connections_;
    std::size_t max_per_address_;
    std::size_t total_ = 0;
    std::unordered_map<std::string, std::size_t> per_address_;
};

// At most one log line per interval for a kind of event that can come in floods (refused
// connections): the first is logged, the rest are counted and reported with the next line.
class LogThrottle {
  public:
    using Clock = std::chrono::steady_clock;
    explicit LogThrottle(std::chrono::milliseconds interval) : interval_(interval) {}

    // If this event should be logged: how many were left out since the last line.
    std::optional<std::size_t> allow(Clock::time_point now);

  private:
    std::chrono::milliseconds interval_;
    std::optional<Clock::time_point> last_;
    std::size_t left_out_ = 0;
};

}  // namespace twofold::net
