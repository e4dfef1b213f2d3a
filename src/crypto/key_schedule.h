// Everything the wire uses is derived from GK, never GK itself:
//   PRK            = HKDF-Extract(salt = "twofold/v1 epoch", IKM = GK)
//   message key    = HKDF-Expand(PRK, "twofold/v1 message key" ‖ 0 ‖ sender ‖ seq_be64, 32)
//   key-confirm id = HKDF-Expand(PRK, "twofold/v1 key confirmation" ‖ 0, 16)
// A key per (sender, sequence number) means a nonce is never reused under a key even if a sender
// restarts its counter, and the key-confirmation id lets members with different GKs notice at once.
#pragma once

#include <cstdint>
#include <string_view>

#include "crypto/aead.h"
#include "crypto/gk.h"
#include "crypto/hkdf.h"
#include "crypto/sign.h"

namespace twofold::crypto {

namespace label {
inline constexpr std::string_view kEpochSalt = "twofold/v1 epoch";
inline constexpr std::string_view kMessageKey = "twofold/v1 message key";
inline constexpr std::string_view kKeyConfirmation = "twofold/v1 key confirmation";
}  // namespace label

inline constexpr std::size_t kKeyConfirmationIdBytes = 16;
using KeyConfirmationId = FixedBytes<kKeyConfirmationIdBytes>;

class EpochKeySchedule {
  public:
    explicit EpochKeySchedule(const GroupKey& gk);

    AeadKey message_key(const SignPublicKey& sender, std::uint64_t sequence) const;
    // The same key into one the caller keeps: a fresh secure allocation costs several system
    // calls, more than the rest of a small message's protection.
    void message_key_into(const SignPublicKey& sender, std::uint64_t sequence, AeadKey& out) const;
    const KeyConfirmationId& key_confirmation_id() const noexcept { return confirmation_id_; }

  private:
    HkdfPrk prk_;
    KeyConfirmationId confirmation_id_{};
};

}  // namespace twofold::crypto
