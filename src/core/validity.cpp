#include "core/validity.h"

#include <array>
#include <cstdio>
#include <limits>

namespace twofold::validity {

namespace {

Error bad(std::string_view what, std::string_view text) {
    return make_error(Errc::invalid_argument, std::string(what) + " '" + std::string(text) + "'");
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil): no time zone
// database and no clock, so this stays pure.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, unsigned& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
}

}  // namespace

Result<std::uint64_t> parse_duration(std::string_view text) {
    if (text.empty()) return bad("empty duration", text);
    std::uint64_t total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::uint64_t n = 0;
        const std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            if (n > 1'000'000'000) return bad("duration too long", text);
            n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
            ++i;
        }
        if (i == start || i == text.size()) return bad("duration needs a number and a unit (s, m, h, d), not", text);
        std::uint64_t unit = 0;
        switch (text[i]) {
            case 's': unit = 1; break;
            case 'm': unit = 60; break;
            case 'h': unit = 3600; break;
            case 'd': unit = 86400; break;
            default: return bad("duration unit must be s, m, h or d in", text);
        }
        ++i;
        total += n * unit;
        if (total > 100ULL * 365 * 86400) return bad("duration too long (over 100 years)", text);
    }
    if (total == 0) return bad("duration must be positive, not", text);
    return total;
}

Result<std::uint64_t> parse_utc_time(std::string_view text) {
    // YYYY-MM-DDTHH:MMZ or YYYY-MM-DDTHH:MM:SSZ
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    const bool shape = (text.size() == 17 || text.size() == 20) && digits(text, 0, 4, y) && text[4] == '-' &&
                       digits(text, 5, 2, mo) && text[7] == '-' && digits(text, 8, 2, d) &&
                       (text[10] == 'T' || text[10] == 't') && digits(text, 11, 2, h) && text[13] == ':' &&
                       digits(text, 14, 2, mi) &&
                       (text.size() == 17 ? text[16] == 'Z' : text[16] == ':' && digits(text, 17, 2, s) && text[19] == 'Z');
    if (!shape) return bad("time must be UTC as YYYY-MM-DDTHH:MM[:SS]Z, not", text);
    static constexpr std::array<unsigned, 12> kDays{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 ||
        mi > 59 || s > 59) {
        return bad("no such time", text);
    }
    const std::int64_t days = days_from_civil(y, mo, d);
    return static_cast<std::uint64_t>(days) * 86400 + h * 3600 + mi * 60 + s;
}

std::string format_utc_time(std::uint64_t t) {
    std::int64_t y = 0;
    unsigned m = 0, d = 0;
    civil_from_days(static_cast<std::int64_t>(t / 86400), y, m, d);
    const std::uint64_t rest = t % 86400;
    char out[48];
    std::snprintf(out, sizeof out, "%04lld-%02u-%02u %02llu:%02llu:%02llu UTC", static_cast<long long>(y), m, d,
                  static_cast<unsigned long long>(rest / 3600), static_cast<unsigned long long>(rest / 60 % 60),
                  static_cast<unsigned long long>(rest % 60));
    return out;
}

std::string format_duration(std::uint64_t seconds) {
    if (seconds == 0) return "0s";
    std::string out;
    const std::pair<std::uint64_t, char> units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    for (const auto& [size, name] : units) {
        if (seconds >= size) {
            out += std::to_string(seconds / size) + name;
            seconds %= size;
        }
    }
    return out;
}

Result<std::uint64_t> check_validity(std::uint64_t requested, std::uint64_t now, std::uint64_t max_seconds) {
    if (requested == 0) return max_seconds == 0 ? 0 : now + max_seconds;
    if (requested <= now) {
        return make_error(Errc::invalid_argument,
                          "validity until " + format_utc_time(requested) + " is not in the future");
    }
    if (max_seconds != 0 && requested - now > max_seconds) {
        return make_error(Errc::forbidden, "validity of " + format_duration(requested - now) +
                                               " exceeds the group's max validity of " + format_duration(max_seconds));
    }
    return requested;
}

}  // namespace twofold::validity
