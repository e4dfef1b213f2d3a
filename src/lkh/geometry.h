// The shape of a key tree, which member and server compute alike from (arity, member count).
//
// Leaves are dense: n members sit at leaves 0..n-1. Node ids are stable as the tree grows:
// (level, index), leaves at level 0, children of (l, i) are (l-1, a*i + k), the root is
// (height, 0). Growing adds a root above the old one; nothing is renumbered.
#pragma once

#include <cstdint>

namespace twofold::lkh {

inline constexpr unsigned kDefaultArity = 2;
inline constexpr unsigned kFlatArity = 0;
inline constexpr unsigned kMaxHeight = 40;  // 2^32 leaves at arity 2: beyond any group  // the flat baseline: every leaf is a child of the root

struct NodeId {
    std::uint8_t level = 0;
    std::uint32_t index = 0;
    friend bool operator==(const NodeId&, const NodeId&) = default;
    friend auto operator<=>(const NodeId&, const NodeId&) = default;  // NOLINT(modernize-use-nullptr): tidy 14 misreads it
};

// Levels above the leaves: ceil(log_a n), and at least 1, so the root is never a member's leaf.
inline unsigned height_for(std::uint64_t members, unsigned arity) {
    if (arity == kFlatArity) return 1;
    unsigned h = 1;
    for (std::uint64_t capacity = arity; capacity < members; capacity *= arity) ++h;
    return h;
}

// Nodes at `level` of a tree over `members` dense leaves: ceil(n / a^level).
inline std::uint64_t nodes_at(unsigned level, std::uint64_t members, unsigned arity, unsigned height) {
    if (level >= height) return level == height ? 1 : 0;
    if (arity == kFlatArity) return level == 0 ? members : 1;
    std::uint64_t span = 1;
    for (unsigned l = 0; l < level; ++l) span *= arity;
    return (members + span - 1) / span;
}

// The ancestor of leaf `leaf` at `level`.
inline NodeId ancestor(std::uint32_t leaf, unsigned level, unsigned arity, unsigned height) {
    if (level >= height) return NodeId{static_cast<std::uint8_t>(height), 0};
    if (arity == kFlatArity) return NodeId{static_cast<std::uint8_t>(level), level == 0 ? leaf : 0};
    std::uint64_t index = leaf;
    for (unsigned l = 0; l < level; ++l) index /= arity;
    return NodeId{static_cast<std::uint8_t>(level), static_cast<std::uint32_t>(index)};
}

}  // namespace twofold::lkh
