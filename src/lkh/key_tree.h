// The GMS's side of a Logical Key Hierarchy (RFC 2627; Wong, Gouda and Lam's key graphs): one
// tree per group, one leaf per member, and the group's RN2 at the root.
//
// A join, removal or batch replaces every key a departing member held and every key on a
// joiner's path, and wraps each new key under the current keys of the new node's children:
// O(log n) wrapped keys. A timed renewal replaces only the root (RN2), wrapped under the old
// root: one wrapped key. With arity kFlatArity the same code is the flat baseline (RN2 wrapped
// to each member's own key, O(n)), as GSAKMP's GCKS would do it.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"
#include "lkh/geometry.h"
#include "lkh/rekey_message.h"

namespace twofold::lkh {

using MemberId = std::uint64_t;

struct NodeKey {
    FixedBytes<kKeyBytes> key;
    std::uint64_t version;  // the epoch in which this key was made
};

struct Rekey {
    std::uint64_t epoch = 0;
    Bytes message;             // RekeyMessage::encode()
    std::size_t wrapped_keys = 0;
};

class KeyTree {
  public:
    // A tree holding the founder alone, at epoch 1.
    KeyTree(ByteView group_id, MemberId founder, unsigned arity = kDefaultArity);
    // A tree of `members` at epoch 1, built level by level with no rekey messages (benchmarks,
    // and importing a group).
    static Result<KeyTree> build(ByteView group_id, std::span<const MemberId> members, unsigned arity = kDefaultArity);

    KeyTree(KeyTree&&) noexcept = default;
    KeyTree& operator=(KeyTree&&) noexcept = default;

    // Each produces one rekey message and a new RN2. Errors: unknown (removing a non-member),
    // invalid_argument (joining a member twice, removing everyone).
    Result<Rekey> join(MemberId member);
    Result<Rekey> remove(MemberId member);
    Result<Rekey> batch(std::span<const MemberId> joins, std::span<const MemberId> removes);
    Rekey renew();

    // The member's whole current state (its path keys, RN2 at the root), as MemberState parses
    // it: a joiner's welcome, or the answer to an RN2 inquiry.
    Result<crypto::SecretBuffer> member_state(MemberId member) const;
    // The same into a buffer the caller reuses (no secure allocation per call once it is big enough).
    Status member_state_into(MemberId member, crypto::SecretBuffer& out) const;

    std::span<const std::uint8_t, kKeyBytes> rn2() const noexcept;
    std::uint64_t epoch() const noexcept { return epoch_; }
    std::size_t size() const noexcept { return leaf_member_.size(); }
    unsigned height() const noexcept { return height_; }
    unsigned arity() const noexcept { return arity_; }
    bool contains(MemberId m) const { return leaf_of_.contains(m); }
    // Whether `m` moved at some point and still knows keys of its old path that are in use: its
    // removal then replaces those nodes too (more than 2*ceil(log2 n) wraps; docs/lkh.md).
    bool holds_former_path(MemberId m) const;
    const Bytes& group_id() const noexcept { return group_id_; }
    // Bytes held by the tree's data structures (keys, versions, member maps).
    std::size_t memory_bytes() const noexcept;

    // For the GMS's own (encrypted) storage; holds every key.
    crypto::SecretBuffer serialise() const;
    void serialise_into(crypto::SecretBuffer& out) const;  // reuses out's allocation
    static Result<KeyTree> parse(ByteView bytes);

  private:
    using Level = std::vector<NodeKey, crypto::SecureAllocator<NodeKey>>;

    KeyTree() = default;
    NodeKey& node(NodeId id) { return levels_[id.level][id.index]; }
    const NodeKey& node(NodeId id) const { return levels_[id.level][id.index]; }
    bool exists(NodeId id) const;
    void fresh_key(NodeKey& k, std::uint64_t version);
    void reshape();  // sizes every level to the member count, growing or dropping the root
    // A leaf a member left by moving, and the epoch of the move: it knows every key of that
    // leaf's path whose version is older than `moved_at`.
    struct FormerLeaf {
        std::uint32_t leaf;
        std::uint64_t moved_at;
    };
    template <class Out>
    void for_each_stale_node(const FormerLeaf& f, Out&& out) const;
    void record_move(MemberId m, std::uint32_t from, std::uint64_t epoch);
    void prune_former();
    Rekey emit(std::vector<NodeId> refresh, const std::vector<Move>& moves, std::span<const std::uint32_t> joiner_leaves);

    Bytes group_id_;
    unsigned arity_ = kDefaultArity;
    unsigned height_ = 1;
    std::uint64_t epoch_ = 0;
    std::vector<Level> levels_;           // levels_[0]: leaves; levels_[height_]: the root
    std::vector<MemberId> leaf_member_;   // dense: leaf i holds leaf_member_[i]
    std::unordered_map<MemberId, std::uint32_t> leaf_of_;
    // Members that moved while keys of their old path are still in use (pruned as those keys are
    // replaced): a removal must replace what the leaver knows, not only its current path.
    std::unordered_map<MemberId, std::vector<FormerLeaf>> former_;
    std::size_t former_sweep_at_ = kFormerSweepMin;
    static constexpr std::size_t kFormerSweepMin = 64;
};

}  // namespace twofold::lkh
