// SHA-256 (FIPS 180-4) through libsodium's crypto_hash_sha256.
#pragma once

#include "crypto/bytes.h"

namespace twofold::crypto {

inline constexpr std::size_t kSha256Bytes = 32;
using Sha256Digest = FixedBytes<kSha256Bytes>;

Sha256Digest sha256(ByteView message) noexcept;

// Incremental hashing; the state is wiped on destruction because it may have absorbed secrets.
class Sha256 {
  public:
    Sha256() noexcept;
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(ByteView bytes) noexcept;
    void finish(std::span<std::uint8_t, kSha256Bytes> out) noexcept;

  private:
    alignas(64) unsigned char state_[128];  // crypto_hash_sha256_state, checked in sha256.cpp
};

}  // namespace twofold::crypto
