// The Noise Protocol Framework's HASH, HMAC-HASH and HKDF (revision 34, sections 4.3 and 5.1)
// for HASH = BLAKE2b (64-byte output, 128-byte block), through libsodium's crypto_generichash.
#pragma once

#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace twofold::handshake {

inline constexpr std::size_t kNoiseHashBytes = 64;        // HASHLEN for BLAKE2b
inline constexpr std::size_t kNoiseHashBlockBytes = 128;  // BLOCKLEN for BLAKE2b (HMAC padding)

using NoiseHash = FixedBytes<kNoiseHashBytes>;
// HKDF outputs and chaining keys are secret.
using NoiseChainingKey = crypto::Secret<kNoiseHashBytes, struct NoiseChainingKeyTag>;
using NoiseHkdfOutput = crypto::Secret<kNoiseHashBytes, struct NoiseHkdfOutputTag>;

// BLAKE2b-512 of the concatenation of the parts (unkeyed).
NoiseHash noise_hash(std::initializer_list<ByteView> parts) noexcept;

// HMAC-HASH(key, data) exactly as RFC 2104 with BLOCKLEN 128; key at most 64 bytes here.
void noise_hmac(ByteView key, ByteView data, std::span<std::uint8_t, kNoiseHashBytes> out) noexcept;

// HKDF(chaining_key, input_key_material, num_outputs) of the spec: two or three 64-byte outputs.
struct NoiseHkdf2 {
    NoiseHkdfOutput first;
    NoiseHkdfOutput second;
};
struct NoiseHkdf3 {
    NoiseHkdfOutput first;
    NoiseHkdfOutput second;
    NoiseHkdfOutput third;
};
NoiseHkdf2 noise_hkdf2(ByteView chaining_key, ByteView input_key_material);
NoiseHkdf3 noise_hkdf3(ByteView chaining_key, ByteView input_key_material);

}  // namespace twofold::handshake
