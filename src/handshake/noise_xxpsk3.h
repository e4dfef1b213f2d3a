// Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b (The Noise Protocol Framework, revision 34): the
// HandshakeState for the XX pattern with the psk3 modifier, and what it leaves behind.
//
//   XXpsk3:
//     -> e
//     <- e, ee, s, es
//     -> s, se, psk
//
// Both sides are authenticated by their static X25519 keys (a member's is the X25519 form of its
// Ed25519 identity) and by the 32-byte PSK (from the invitation code through CPace). Pure: no
// I/O; the ephemeral key comes from crypto/random.h unless a test fixes it.
#pragma once

#include <optional>
#include <string_view>

#include "crypto/x25519.h"
#include "handshake/noise_symmetric_state.h"

namespace twofold::handshake {

inline constexpr std::string_view kNoiseXXpsk3ProtocolName = "Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b";
inline constexpr std::size_t kNoisePskBytes = 32;
inline constexpr std::size_t kNoiseDhBytes = crypto::kX25519Bytes;
inline constexpr int kNoiseXXpsk3MessageCount = 3;

using NoisePsk = crypto::Secret<kNoisePskBytes, struct NoisePskTag>;

enum class NoiseRole { initiator, responder };

// An X25519 key pair built from its secret (a fixed test key, or a fresh random one).
struct NoiseKeyPair {
    crypto::X25519Secret secret;
    crypto::X25519PublicKey public_key{};

    static NoiseKeyPair from_secret(std::span<const std::uint8_t, kNoiseDhBytes> secret);
    static NoiseKeyPair from(const crypto::X25519KeyPair& keys);
    static NoiseKeyPair generate();
};

// What a completed handshake gives: one CipherState per direction, the handshake hash for
// channel binding, and the peer's static key for the caller to check against its identity.
struct NoiseTransport {
    NoiseCipherState send;
    NoiseCipherState receive;
    NoiseHash handshake_hash{};
    crypto::X25519PublicKey remote_static{};
};

class NoiseXXpsk3Handshake {
  public:
    // fixed_ephemeral is for known-answer tests only; production passes nothing.
    NoiseXXpsk3Handshake(NoiseRole role, NoiseKeyPair static_keys, NoisePsk psk, ByteView prologue,
                         std::optional<NoiseKeyPair> fixed_ephemeral = std::nullopt);

    // The next handshake message of this side, carrying payload (encrypted from message 1 on).
    Result<Bytes> write_message(ByteView payload);
    // Processes the peer's next handshake message; returns its payload.
    Result<crypto::SecretBuffer> read_message(ByteView message);

    bool complete() const noexcept { return next_message_ == kNoiseXXpsk3MessageCount; }
    // After the third message: the transport state. The handshake object is spent afterwards.
    Result<NoiseTransport> finish();

  private:
    bool my_turn() const noexcept;
    Status write_ephemeral(Bytes& out);
    Status read_ephemeral(ByteView& in);
    Status mix_dh(const crypto::X25519Secret& mine, const crypto::X25519PublicKey& theirs, const char* token);

    NoiseRole role_;
    NoiseSymmetricState symmetric_;
    NoiseKeyPair s_;
    std::optional<NoiseKeyPair> e_;
    std::optional<NoiseKeyPair> fixed_ephemeral_;
    crypto::X25519PublicKey rs_{};
    crypto::X25519PublicKey re_{};
    NoisePsk psk_;
    int next_message_ = 0;  // 0, 1, 2 in the pattern; 3 when complete
    bool failed_ = false;   // a failed message leaves the state unusable (section 5.3)
};

}  // namespace twofold::handshake
