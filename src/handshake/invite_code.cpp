#include "handshake/invite_code.h"

#include <string>
#include <vector>

#include "crypto/random.h"
#include "handshake/invite_words.h"

namespace twofold::handshake {

namespace {

Error malformed(std::string what) { return make_error(Errc::malformed, "invitation code: " + what); }

bool is_separator(char c) noexcept { return c == '-' || c == ' ' || c == '\t'; }

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

InviteCode::InviteCode(std::uint16_t number, std::uint8_t first, std::uint8_t second)
    : number_(number), words_{first, second} {
    std::string text = std::to_string(number);
    for (std::uint8_t w : words_) {
        text += '-';
        text += invite_words()[w];
    }
    text_ = crypto::SecretBuffer::copy_of(as_bytes(text));
    crypto::wipe(as_writable_bytes(text));
}

InviteCode InviteCode::generate(const RandomSource& random) {
    // 10 bits give 0..1023; values past 998 are drawn again so each number is equally likely.
    std::uint16_t number = 0;
    for (;;) {
        FixedBytes<2> r;
        random(r);
        const std::uint16_t candidate = static_cast<std::uint16_t>((r[0] | (r[1] << 8)) & 0x3ff);
        if (candidate < kInviteNumberMax - kInviteNumberMin + 1) {
            number = static_cast<std::uint16_t>(candidate + kInviteNumberMin);
            break;
        }
    }
    FixedBytes<kInviteCodeWords> words;
    random(words);
    InviteCode code(number, words[0], words[1]);
    crypto::wipe(words);
    return code;
}

InviteCode InviteCode::generate() {
    return generate([](MutableByteView out) { crypto::random_fill(out); });
}

Result<InviteCode> InviteCode::parse(std::string_view typed) {
    if (typed.size() > kInviteCodeMaxInputBytes) {
        return make_error(Errc::too_large,
                          "invitation code: longer than " + std::to_string(kInviteCodeMaxInputBytes) + " characters");
    }
    // Split on runs of separators; lower-case as we go.
    std::vector<std::string> parts;
    std::string current;
    for (char c : typed) {
        if (is_separator(c)) {
            if (!current.empty()) parts.push_back(std::move(current));
            current.clear();
        } else {
            current += lower(c);
        }
    }
    if (!current.empty()) parts.push_back(std::move(current));
    auto wipe_parts = [&] {
        for (auto& p : parts) crypto::wipe(as_writable_bytes(p));
        crypto::wipe(as_writable_bytes(current));
    };

    if (parts.size() != 1 + kInviteCodeWords) {
        wipe_parts();
        return malformed("expected a number and two words, like 3-acorn-lantern (got " + std::to_string(parts.size()) +
                         " parts)");
    }
    const std::string& digits = parts[0];
    std::uint32_t number = 0;
    bool numeric = digits.size() <= 3 && digits[0] != '0';
    for (char c : digits) {
        if (c < '0' || c > '9') numeric = false;
        if (numeric) number = number * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (!numeric || number < kInviteNumberMin || number > kInviteNumberMax) {
        wipe_parts();
        return malformed("the first part must be a number from 1 to 999");
    }
    const auto first = invite_word_index(parts[1]);
    const auto second = invite_word_index(parts[2]);
    wipe_parts();
    if (!first) return malformed("the first word is not in the word list");
    if (!second) return malformed("the second word is not in the word list");
    return InviteCode(static_cast<std::uint16_t>(number), *first, *second);
}

}  // namespace twofold::handshake
