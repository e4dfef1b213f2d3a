// Byte containers and views shared by every layer. Public bytes only: secrets live in secret.h.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace twofold {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using MutableByteView = std::span<std::uint8_t>;

template <std::size_t N>
using FixedBytes = std::array<std::uint8_t, N>;

inline ByteView as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Bytes into a protobuf `bytes` field (public bytes only).
inline std::string as_string(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

inline MutableByteView as_writable_bytes(std::string& s) noexcept {
    return {reinterpret_cast<std::uint8_t*>(s.data()), s.size()};
}

inline void append(Bytes& out, ByteView more) { out.insert(out.end(), more.begin(), more.end()); }

}  // namespace twofold
