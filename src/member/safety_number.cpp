#include "member/safety_number.h"

#include <cstdio>
#include <string_view>

#include "crypto/sha256.h"

namespace twofold::member {

std::string safety_number(const crypto::SignPublicKey& identity_key) {
    constexpr std::string_view kLabel = "twofold/v1 safety number";
    Bytes input(kLabel.begin(), kLabel.end());
    input.push_back(0x00);
    append(input, identity_key);
    const auto digest = crypto::sha256(input);

    std::string out;
    for (std::size_t group = 0; group < 6; ++group) {
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < 5; ++i) v = (v << 8) | digest[group * 5 + i];
        char digits[8];
        std::snprintf(digits, sizeof digits, "%05u", static_cast<unsigned>(v % 100000));
        if (group > 0) out.push_back(' ');
        out += digits;
    }
    return out;
}

}  // namespace twofold::member
