#include "net/admission.h"

namespace twofold::net {

Admission::Admission(std::size_t max_connections, std::size_t max_per_address)
    : max_connections_(max_connections), max_per_address_(max_per_address) {}

std::optional<std::string> Admission::admit(const std::string& address) {
    if (total_ >= max_connections_) {
        return std::to_string(total_) + " connections open, the most allowed (max-connections)";
    }
    const auto it = per_address_.find(address);
    const std::size_t mine = it == per_address_.end() ? 0 : it->second;
    if (mine >= max_per_address_) {
        return std::to_string(mine) + " connections open from " + address +
               ", the most allowed per address (max-connections-per-address)";
    }
    ++per_address_[address];
    ++total_;
    return std::nullopt;
}

void Admission::release(const std::string& address) {
    const auto it = per_address_.find(address);
    if (it == per_address_.end()) return;
    --total_;
    if (--it->second == 0) per_address_.erase(it);
}

std::optional<std::size_t> LogThrottle::allow(Clock::time_point now) {
    if (last_ && now - *last_ < interval_) {
        ++left_out_;
        return std::nullopt;
    }
    last_ = now;
    const std::size_t left_out = left_out_;
    left_out_ = 0;
    return left_out;
}

}  // namespace twofold::net
