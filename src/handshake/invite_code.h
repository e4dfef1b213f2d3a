// The invitation code people read aloud for the direct route, magic-wormhole style:
// "<number>-<word>-<word>", e.g. "7-tulip-harbor". The number is 1..999, each word one of the
// 256 in invite_words.h: log2(999) + 2·8 ≈ 25.96 bits. CPace turns that into a key an attacker
// can only test by one online run per guess (docs/direct-route.md).
//
// The code is the CPace password (PRS), so it is kept in secure memory and never appears in an
// error message. Pure: randomness is injected.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace twofold::handshake {

inline constexpr std::uint16_t kInviteNumberMin = 1;
inline constexpr std::uint16_t kInviteNumberMax = 999;
inline constexpr std::size_t kInviteCodeWords = 2;
inline constexpr std::size_t kInviteCodeMaxInputBytes = 64;  // more is not a code: refused unread
inline constexpr double kInviteCodeEntropyBits = 25.96;      // log2(999) + 16

// Fills its argument with uniformly random bytes (crypto::random_fill in production).
using RandomSource = std::function<void(MutableByteView)>;

class InviteCode {
  public:
    // A fresh code; the number is drawn by rejection sampling, so it is uniform.
    static InviteCode generate(const RandomSource& random);
    static InviteCode generate();  // from crypto/random.h
    // Accepts what a person types: any case, words separated by dashes and/or spaces, spaces
    // around. Refuses anything else with a message naming which part was wrong.
    static Result<InviteCode> parse(std::string_view typed);

    std::uint16_t number() const noexcept { return number_; }
    std::uint8_t word_index(std::size_t i) const noexcept { return words_[i]; }
    // The canonical form ("7-tulip-harbor"): what is shown, and what CPace uses as PRS.
    ByteView canonical() const noexcept { return text_.span(); }

  private:
    InviteCode(std::uint16_t number, std::uint8_t first, std::uint8_t second);
    std::uint16_t number_;
    std::uint8_t words_[kInviteCodeWords];
    crypto::SecretBuffer text_;
};

}  // namespace twofold::handshake
