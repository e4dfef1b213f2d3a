// The rekey message: what the GMS sends every member after a join, removal, batch or timed
// renewal. Byte layout (big-endian; docs/lkh.md):
//
//   "TFLK" | format u8 (1) | arity u8 | group_id_len u8 | group_id | epoch u64 | height u8
//   | members u32 | moves u32 | (from u32, to u32)*moves | entries u32 | entry*entries
//   entry = target (level u8, index u32) | wrapping (level u8, index u32, version u64)
//           | nonce[24] | XChaCha20-Poly1305(wrapping key, new target key)[48]
//
// Every new key in a message has version = the message's epoch. The AEAD's associated data is
// SHA-256(header) ‖ the entry's ids and version, so an entry cannot be moved to another message,
// group, epoch or position.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"
#include "crypto/aead.h"
#include "crypto/bytes.h"
#include "crypto/sha256.h"
#include "lkh/geometry.h"

namespace twofold::lkh {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kMaxGroupIdBytes = 64;
inline constexpr std::size_t kWrappedKeyBytes = kKeyBytes + crypto::kAeadTagBytes;
inline constexpr std::size_t kEntryBytes = 5 + 5 + 8 + crypto::kAeadNonceBytes + kWrappedKeyBytes;
inline constexpr std::size_t kMaxEntries = 1u << 24;

struct Move {
    std::uint32_t from;
    std::uint32_t to;
};

struct Entry {
    NodeId target;
    NodeId wrapping;
    std::uint64_t wrapping_version;
    crypto::AeadNonce nonce;
    FixedBytes<kWrappedKeyBytes> wrapped;
};

struct RekeyMessage {
    Bytes group_id;
    std::uint64_t epoch = 0;
    unsigned arity = kDefaultArity;
    unsigned height = 1;
    std::uint32_t members = 0;
    std::vector<Move> moves;
    std::vector<Entry> entries;

    Bytes header() const;  // everything before the entry count
    Bytes encode() const;
    static Result<RekeyMessage> parse(ByteView bytes);
};

// Associated data for one entry of a message whose header hashes to `header_hash`.
FixedBytes<crypto::kSha256Bytes + 18> entry_ad(const crypto::Sha256Digest& header_hash, const Entry& entry);

}  // namespace twofold::lkh
