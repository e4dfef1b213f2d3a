// A group's name: the third input of GK. 1-255 bytes of valid UTF-8 with no NUL, so the bytes
// hashed are exactly what every member typed, and the name cannot be cut short by a C string.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/bytes.h"

namespace twofold::crypto {

inline constexpr std::size_t kGroupNameMaxBytes = 255;

class GroupName {
  public:
    static Result<GroupName> parse(std::string_view utf8);

    const std::string& str() const noexcept { return name_; }
    ByteView bytes() const noexcept { return as_bytes(name_); }

    friend bool operator==(const GroupName&, const GroupName&) = default;

  private:
    explicit GroupName(std::string name) : name_(std::move(name)) {}
    std::string name_;
};

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
// Returns the offset of the first invalid byte, or npos if the whole string is valid.
std::size_t first_invalid_utf8(std::string_view s) noexcept;

}  // namespace twofold::crypto
