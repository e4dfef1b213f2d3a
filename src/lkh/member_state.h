// A member's side of the key tree: the keys on its path from its leaf to the root (whose key is
// the epoch's RN2). It applies each rekey message bottom-up and ends with the new RN2, or refuses
// the message and stays exactly as it was.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"
#include "lkh/geometry.h"
#include "lkh/rekey_message.h"

namespace twofold::lkh {

struct PathKey {
    NodeId id;
    std::uint64_t version;
    FixedBytes<kKeyBytes> key;
};

class MemberState {
  public:
    static MemberState make(ByteView group_id, unsigned arity, unsigned height, std::uint32_t leaf,
                            std::uint64_t epoch, std::span<const PathKey> path);
    // The bytes KeyTree::member_state() produced (a welcome, after the GMS's seal is opened).
    static Result<MemberState> parse(ByteView bytes);
    crypto::SecretBuffer serialise() const;

    MemberState(const MemberState& other);
    MemberState& operator=(const MemberState& other);
    MemberState(MemberState&&) noexcept = default;
    MemberState& operator=(MemberState&&) noexcept = default;

    // stale_epoch: an epoch this member has passed (a replay or a reordering); unknown: another
    // group, or a message that does not lead to a root this member can derive (it missed a rekey:
    // ask the GMS); auth_failed: an entry that should open with a key it holds does not;
    // malformed: bytes that do not parse.
    Status apply(ByteView message);
    Status apply(const RekeyMessage& message);

    std::span<const std::uint8_t, kKeyBytes> rn2() const;
    std::uint64_t epoch() const noexcept { return epoch_; }
    std::uint32_t leaf() const noexcept { return leaf_; }
    unsigned height() const noexcept { return height_; }
    const Bytes& group_id() const noexcept { return group_id_; }
    // Every (node, version, key) this member holds, for tests that model what it could learn.
    std::span<const PathKey> keys() const noexcept { return path_; }

  private:
    MemberState() = default;
    using Keys = std::vector<PathKey, crypto::SecureAllocator<PathKey>>;

    Bytes group_id_;
    unsigned arity_ = kDefaultArity;
    unsigned height_ = 1;
    std::uint32_t leaf_ = 0;
    std::uint64_t epoch_ = 0;
    Keys path_;  // leaf first, root last
};

}  // namespace twofold::lkh
