// The invitation code's word list: 256 words, so each word carries exactly 8 bits.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace twofold::handshake {

inline constexpr std::size_t kInviteWordCount = 256;

// Sorted, lower case, distinct.
const std::array<std::string_view, kInviteWordCount>& invite_words() noexcept;
// The index of a lower-case word, or nothing when it is not in the list.
std::optional<std::uint8_t> invite_word_index(std::string_view word) noexcept;

}  // namespace twofold::handshake
