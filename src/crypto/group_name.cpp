#include "crypto/group_name.h"

namespace twofold::crypto {

std::size_t first_invalid_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        // Lead byte: sequence length, and the range the first continuation byte may take
        // (this is where overlongs, surrogates and values above U+10FFFF are excluded).
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c == 0xE0) {
            len = 3, lo = 0xA0;
        } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            len = 3;
        } else if (c == 0xED) {
            len = 3, hi = 0x9F;
        } else if (c == 0xF0) {
            len = 4, lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            len = 4;
        } else if (c == 0xF4) {
            len = 4, hi = 0x8F;
        } else {
            return i;
        }
        if (i + len > n) return i;
        if (p[i + 1] < lo || p[i + 1] > hi) return i;
        for (std::size_t k = 2; k < len; ++k) {
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
        }
        i += len;
    }
    return std::string_view::npos;
}

Result<GroupName> GroupName::parse(std::string_view utf8) {
    if (utf8.empty()) return make_error(Errc::invalid_argument, "group name is empty");
    if (utf8.size() > kGroupNameMaxBytes) {
        return make_error(Errc::invalid_argument, "group name is " + std::to_string(utf8.size()) +
                                                      " bytes; at most 255 are allowed");
    }
    if (const auto at = utf8.find('\0'); at != std::string_view::npos) {
        return make_error(Errc::invalid_argument, "group name contains a NUL byte at offset " + std::to_string(at));
    }
    if (const auto at = first_invalid_utf8(utf8); at != std::string_view::npos) {
        return make_error(Errc::invalid_argument, "group name is not valid UTF-8 (at byte offset " +
                                                      std::to_string(at) + ")");
    }
    return GroupName(std::string(utf8));
}

}  // namespace twofold::crypto
