#include "lkh/key_tree.h"

#include <algorithm>
#include <set>
#include <string>
#include <unordered_set>

#include "crypto/random.h"

namespace twofold::lkh {

namespace {

constexpr std::uint8_t kTreeMagic[4] = {'T', 'F', 'K', 'T'};
constexpr std::uint8_t kTreeFormat = 2;  // 2: the former-path records follow the keys
constexpr std::size_t kFormerRecordBytes = 8 + 4 + 8;

Status check_arity(unsigned arity) {
    if (arity == kFlatArity || (arity >= 2 && arity <= 16)) return {};
    return make_error(Errc::invalid_argument, "arity must be 2-16 (or 0 for flat), got " + std::to_string(arity));
}

// [first, last) of the children of `p` that exist in a tree of `members` leaves.
std::pair<std::uint64_t, std::uint64_t> children_of(NodeId p, std::uint64_t members, unsigned arity, unsigned height) {
    const std::uint64_t below = nodes_at(p.level - 1u, members, arity, height);
    if (arity == kFlatArity) return {0, below};
    const std::uint64_t first = std::uint64_t{p.index} * arity;
    return {first, std::min(first + arity, below)};
}

}  // namespace

// --- shape ------------------------------------------------------------------------------------

bool KeyTree::exists(NodeId id) const {
    return id.level <= height_ && id.index < nodes_at(id.level, leaf_member_.size(), arity_, height_);
}

void KeyTree::fresh_key(NodeKey& k, std::uint64_t version) {
    crypto::random_fill(k.key);
    k.version = version;
}

void KeyTree::reshape() {
    const std::uint64_t n = leaf_member_.size();
    height_ = height_for(n, arity_);
    levels_.resize(height_ + 1);
    for (unsigned l = 0; l <= height_; ++l) {
        const std::uint64_t want = nodes_at(l, n, arity_, height_);
        // New nodes get a key at once (made again if refreshed); they are never left zero.
        while (levels_[l].size() < want) fresh_key(levels_[l].emplace_back(), epoch_);
        levels_[l].resize(want);
    }
}

KeyTree::KeyTree(ByteView group_id, MemberId founder, unsigned arity)
    : group_id_(group_id.begin(), group_id.end()), arity_(arity), epoch_(1) {
    leaf_member_.push_back(founder);
    leaf_of_.emplace(founder, 0);
    reshape();
}

Result<KeyTree> KeyTree::build(ByteView group_id, std::span<const MemberId> members, unsigned arity) {
    if (auto s = check_arity(arity); !s) return s.error();
    if (members.empty()) return make_error(Errc::invalid_argument, "a key tree needs at least one member");
    if (group_id.empty() || group_id.size() > kMaxGroupIdBytes) {
        return make_error(Errc::invalid_argument, "group id must be 1-64 bytes");
    }
    KeyTree t;
    t.group_id_.assign(group_id.begin(), group_id.end());
    t.arity_ = arity;
    t.epoch_ = 1;
    t.leaf_member_.assign(members.begin(), members.end());
    t.leaf_of_.reserve(members.size());
    for (std::uint32_t i = 0; i < members.size(); ++i) {
        if (!t.leaf_of_.emplace(members[i], i).second) {
            return make_error(Errc::invalid_argument, "member " + std::to_string(members[i]) + " listed twice");
        }
    }
    t.reshape();
    return t;
}

std::span<const std::uint8_t, kKeyBytes> KeyTree::rn2() const noexcept {
    return std::span<const std::uint8_t, kKeyBytes>(levels_[height_][0].key);
}

std::size_t KeyTree::memory_bytes() const noexcept {
    std::size_t bytes = 0;
    for (const Level& l : levels_) bytes += l.capacity() * sizeof(NodeKey);
    bytes += leaf_member_.capacity() * sizeof(MemberId);
    // An unordered_map node: the pair, a next pointer, a cached hash; plus the bucket array.
    bytes += leaf_of_.size() * (sizeof(std::pair<const MemberId, std::uint32_t>) + 2 * sizeof(void*)) +
             leaf_of_.bucket_count() * sizeof(void*);
    for (const auto& [m, list] : former_) bytes += sizeof m + 3 * sizeof(void*) + list.capacity() * sizeof(FormerLeaf);
    return bytes;
}

// --- former paths ------------------------------------------------------------------------------

// The nodes below the root on f's old path that still exist with a key older than the move (the
// root is new in every epoch, so it is never stale).
template <class Out>
void KeyTree::for_each_stale_node(const FormerLeaf& f, Out&& out) const {
    for (unsigned l = 1; l < height_; ++l) {
        const NodeId id = ancestor(f.leaf, l, arity_, height_);
        if (exists(id) && node(id).version < f.moved_at) out(id);
    }
}

bool KeyTree::holds_former_path(MemberId m) const {
    const auto it = former_.find(m);
    if (it == former_.end()) return false;
    bool stale = false;
    for (const FormerLeaf& f : it->second) for_each_stale_node(f, [&](NodeId) { stale = true; });
    return stale;
}

void KeyTree::record_move(MemberId m, std::uint32_t from, std::uint64_t epoch) {
    std::vector<FormerLeaf>& list = former_[m];
    std::erase_if(list, [&](const FormerLeaf& f) {
        bool stale = false;
        for_each_stale_node(f, [&](NodeId) { stale = true; });
        return !stale;
    });
    list.push_back(FormerLeaf{from, epoch});
}

// Drops records whose keys have all been replaced since (a join refreshes the tree's right edge,
// where movers come from, so most records die within an operation or two). Sweeps when the map
// has doubled since the last sweep: amortised O(log n) per move.
void KeyTree::prune_former() {
    if (former_.size() < former_sweep_at_) return;
    for (auto it = former_.begin(); it != former_.end();) {
        std::erase_if(it->second, [&](const FormerLeaf& f) {
            bool stale = false;
            for_each_stale_node(f, [&](NodeId) { stale = true; });
            return !stale;
        });
        it = it->second.empty() ? former_.erase(it) : std::next(it);
    }
    former_sweep_at_ = std::max(kFormerSweepMin, 2 * former_.size());
}

// --- operations -------------------------------------------------------------------------------

Result<Rekey> KeyTree::join(MemberId member) { return batch(std::span<const MemberId>(&member, 1), {}); }

Result<Rekey> KeyTree::remove(MemberId member) { return batch({}, std::span<const MemberId>(&member, 1)); }

Result<Rekey> KeyTree::batch(std::span<const MemberId> joins, std::span<const MemberId> removes) {
    // Validate everything before changing anything: a failed batch leaves the tree as it was.
    std::unordered_set<MemberId> leaving;
    for (MemberId m : removes) {
        if (!leaf_of_.contains(m)) return make_error(Errc::unknown, "member " + std::to_string(m) + " is not in the tree");
        if (!leaving.insert(m).second) {
            return make_error(Errc::invalid_argument, "member " + std::to_string(m) + " removed twice");
        }
    }
    std::unordered_set<MemberId> joining;
    for (MemberId m : joins) {
        if (leaf_of_.contains(m)) {
            return make_error(Errc::invalid_argument, "member " + std::to_string(m) + " is already in the tree");
        }
        if (!joining.insert(m).second) return make_error(Errc::invalid_argument, "member " + std::to_string(m) + " joins twice");
    }
    if (removes.size() >= leaf_member_.size() + joins.size()) {
        return make_error(Errc::invalid_argument, "a batch cannot remove every member");
    }
    if (joins.empty() && removes.empty()) return renew();

    ++epoch_;
    const std::uint64_t v = epoch_;
    // Every node a departing member held, by id: those keys are all replaced.
    std::set<NodeId> held_by_leavers;
    std::vector<Move> moves;
    std::vector<std::uint32_t> joiner_leaves;
    std::size_t next_join = 0;

    for (MemberId gone : removes) {
        const std::uint32_t pos = leaf_of_.at(gone);
        for (unsigned l = 1; l <= height_; ++l) held_by_leavers.insert(ancestor(pos, l, arity_, height_));
        // And what it kept from leaves it moved out of: still in use, and it knows them.
        if (const auto f = former_.find(gone); f != former_.end()) {
            for (const FormerLeaf& old : f->second) {
                for_each_stale_node(old, [&](NodeId id) { held_by_leavers.insert(id); });
            }
            former_.erase(f);
        }
        leaf_of_.erase(gone);
        if (next_join < joins.size()) {  // a joiner takes the hole: nobody moves
            const MemberId j = joins[next_join++];
            leaf_member_[pos] = j;
            leaf_of_[j] = pos;
            fresh_key(levels_[0][pos], v);
            joiner_leaves.push_back(pos);
            continue;
        }
        const auto last = static_cast<std::uint32_t>(leaf_member_.size() - 1);
        if (pos != last) {  // the last leaf fills the hole, keeping its own key
            const MemberId moved = leaf_member_[last];
            leaf_member_[pos] = moved;
            leaf_of_[moved] = pos;
            levels_[0][pos] = levels_[0][last];
            if (joining.contains(moved)) {
                std::replace(joiner_leaves.begin(), joiner_leaves.end(), last, pos);
            } else {
                moves.push_back(Move{last, pos});
                record_move(moved, last, v);
            }
        }
        leaf_member_.pop_back();
        reshape();
    }
    for (; next_join < joins.size(); ++next_join) {
        const MemberId j = joins[next_join];
        const auto pos = static_cast<std::uint32_t>(leaf_member_.size());
        leaf_member_.push_back(j);
        leaf_of_[j] = pos;
        reshape();
        fresh_key(levels_[0][pos], v);
        joiner_leaves.push_back(pos);
    }

    std::vector<NodeId> refresh;
    for (NodeId id : held_by_leavers) {
        if (exists(id)) refresh.push_back(id);
    }
    for (std::uint32_t pos : joiner_leaves) {
        for (unsigned l = 1; l <= height_; ++l) refresh.push_back(ancestor(pos, l, arity_, height_));
    }
    refresh.push_back(NodeId{static_cast<std::uint8_t>(height_), 0});  // RN2 is new in every epoch
    Rekey rekey = emit(std::move(refresh), moves, joiner_leaves);
    prune_former();
    return rekey;
}

Rekey KeyTree::renew() {
    ++epoch_;
    const NodeId root{static_cast<std::uint8_t>(height_), 0};
    RekeyMessage msg{group_id_, epoch_, arity_, height_, static_cast<std::uint32_t>(leaf_member_.size()), {}, {}};
    NodeKey old_root = node(root);
    fresh_key(node(root), epoch_);
    Entry e{root, root, old_root.version, crypto::random_array<crypto::kAeadNonceBytes>(), {}};
    const auto header_hash = crypto::sha256(msg.header());
    const Status s = crypto::aead_encrypt(old_root.key, e.nonce, node(root).key, entry_ad(header_hash, e), e.wrapped);
    (void)s;  // fixed sizes
    crypto::wipe(MutableByteView(reinterpret_cast<std::uint8_t*>(&old_root), sizeof old_root));
    msg.entries.push_back(e);
    return Rekey{epoch_, msg.encode(), 1};
}

Rekey KeyTree::emit(std::vector<NodeId> refresh, const std::vector<Move>& moves,
                    std::span<const std::uint32_t> joiner_leaves) {
    // Bottom-up and each node once: a member decrypting an entry may use a key it learned from an
    // earlier entry of the same message.
    std::sort(refresh.begin(), refresh.end());
    refresh.erase(std::unique(refresh.begin(), refresh.end()), refresh.end());
    for (NodeId id : refresh) fresh_key(node(id), epoch_);

    const std::uint64_t n = leaf_member_.size();
    RekeyMessage msg{group_id_, epoch_, arity_, height_, static_cast<std::uint32_t>(n), moves, {}};
    const auto header_hash = crypto::sha256(msg.header());
    const std::unordered_set<std::uint32_t> joiners(joiner_leaves.begin(), joiner_leaves.end());
    for (NodeId parent : refresh) {
        const auto [first, last] = children_of(parent, n, arity_, height_);
        for (std::uint64_t c = first; c < last; ++c) {
            const NodeId child{static_cast<std::uint8_t>(parent.level - 1), static_cast<std::uint32_t>(c)};
            if (child.level == 0 && joiners.contains(child.index)) continue;  // the joiner has a welcome
            const NodeKey& wrapping = node(child);
            Entry e{parent, child, wrapping.version, crypto::random_array<crypto::kAeadNonceBytes>(), {}};
            const Status s =
                crypto::aead_encrypt(wrapping.key, e.nonce, node(parent).key, entry_ad(header_hash, e), e.wrapped);
            (void)s;
            msg.entries.push_back(e);
        }
    }
    const std::size_t wraps = msg.entries.size();
    return Rekey{epoch_, msg.encode(), wraps};
}

// --- member state and storage -----------------------------------------------------------------

Result<crypto::SecretBuffer> KeyTree::member_state(MemberId member) const {
    crypto::SecretBuffer out;
    if (auto s = member_state_into(member, out); !s) return s.error();
    return out;
}

// Written directly in MemberState's format ("TFMS", see member_state.cpp), so a welcome costs no
// intermediate copies of the keys.
Status KeyTree::member_state_into(MemberId member, crypto::SecretBuffer& out) const {
    const auto it = leaf_of_.find(member);
    if (it == leaf_of_.end()) return make_error(Errc::unknown, "member " + std::to_string(member) + " is not in the tree");
    const std::size_t count = height_ + 1;
    out.resize(4 + 3 + group_id_.size() + 8 + 1 + 4 + 1 + count * (1 + 4 + 8 + kKeyBytes));
    auto d = out.mutable_span();
    std::size_t at = 0;
    const auto put = [&](std::uint64_t v, int bytes) {
        for (int s = (bytes - 1) * 8; s >= 0; s -= 8) d[at++] = static_cast<std::uint8_t>(v >> s);
    };
    for (std::uint8_t c : {'T', 'F', 'M', 'S'}) d[at++] = c;
    put(1, 1);  // format
    put(arity_, 1);
    put(group_id_.size(), 1);
    for (std::uint8_t c : group_id_) d[at++] = c;
    put(epoch_, 8);
    put(height_, 1);
    put(it->second, 4);
    put(count, 1);
    for (unsigned l = 0; l <= height_; ++l) {
        const NodeId id = ancestor(it->second, l, arity_, height_);
        put(id.level, 1);
        put(id.index, 4);
        put(node(id).version, 8);
        for (std::uint8_t c : node(id).key) d[at++] = c;
    }
    return {};
}

namespace {
void put(Bytes& out, std::uint64_t v, int bytes) {
    for (int s = (bytes - 1) * 8; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
std::uint64_t get(ByteView b, std::size_t& at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | b[at++];
    return v;
}
}  // namespace

// "TFKT" | format u8 | arity u8 | id_len u8 | group_id | epoch u64 | members u32 | member ids u64*
// | for each level 0..height: (version u64, key 32)*nodes_at(level)
crypto::SecretBuffer KeyTree::serialise() const {
    crypto::SecretBuffer out;
    serialise_into(out);
    return out;
}

void KeyTree::serialise_into(crypto::SecretBuffer& out) const {
    const std::uint64_t n = leaf_member_.size();
    std::size_t size = 4 + 3 + group_id_.size() + 8 + 4 + n * 8;
    for (const Level& l : levels_) size += l.size() * (8 + kKeyBytes);
    std::size_t records = 0;
    for (const auto& entry : former_) records += entry.second.size();
    size += 4 + records * kFormerRecordBytes;
    out.resize(size);
    // Built in a plain buffer for the header, then key material written straight into secure memory.
    Bytes head(std::begin(kTreeMagic), std::end(kTreeMagic));
    put(head, kTreeFormat, 1);
    put(head, arity_, 1);
    put(head, group_id_.size(), 1);
    append(head, group_id_);
    put(head, epoch_, 8);
    put(head, n, 4);
    for (MemberId m : leaf_member_) put(head, m, 8);
    auto dst = out.mutable_span();
    std::copy(head.begin(), head.end(), dst.begin());
    std::size_t at = head.size();
    for (const Level& l : levels_) {
        for (const NodeKey& k : l) {
            for (int s = 56; s >= 0; s -= 8) dst[at++] = static_cast<std::uint8_t>(k.version >> s);
            std::copy(k.key.begin(), k.key.end(), dst.begin() + static_cast<std::ptrdiff_t>(at));
            at += kKeyBytes;
        }
    }
    const auto put_at = [&](std::uint64_t v, int bytes) {
        for (int s = (bytes - 1) * 8; s >= 0; s -= 8) dst[at++] = static_cast<std::uint8_t>(v >> s);
    };
    put_at(records, 4);
    for (const auto& [m, list] : former_) {
        for (const FormerLeaf& f : list) {
            put_at(m, 8);
            put_at(f.leaf, 4);
            put_at(f.moved_at, 8);
        }
    }
}

Result<KeyTree> KeyTree::parse(ByteView b) {
    const auto bad = [](const std::string& why) { return make_error(Errc::malformed, "stored key tree: " + why); };
    std::size_t at = 0;
    if (b.size() < 7 || !std::equal(std::begin(kTreeMagic), std::end(kTreeMagic), b.begin())) return bad("bad magic");
    at = 4;
    if (get(b, at, 1) != kTreeFormat) return bad("unknown format");
    KeyTree t;
    t.arity_ = static_cast<unsigned>(get(b, at, 1));
    if (!check_arity(t.arity_)) return bad("bad arity");
    const std::size_t id_len = get(b, at, 1);
    if (id_len == 0 || b.size() < at + id_len + 12) return bad("truncated header");
    t.group_id_.assign(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + id_len));
    at += id_len;
    t.epoch_ = get(b, at, 8);
    const std::uint64_t n = get(b, at, 4);
    if (n == 0 || (b.size() - at) / 8 < n) return bad("truncated member list");
    t.leaf_member_.resize(n);
    for (std::uint64_t i = 0; i < n; ++i) {
        t.leaf_member_[i] = get(b, at, 8);
        if (!t.leaf_of_.emplace(t.leaf_member_[i], static_cast<std::uint32_t>(i)).second) return bad("duplicate member");
    }
    t.height_ = height_for(n, t.arity_);
    std::size_t need = 0;
    for (unsigned l = 0; l <= t.height_; ++l) need += nodes_at(l, n, t.arity_, t.height_) * (8 + kKeyBytes);
    if (b.size() - at < need + 4) return bad("key section is " + std::to_string(b.size() - at) + " bytes, expected " +
                                             std::to_string(need) + " and a record count");
    t.levels_.resize(t.height_ + 1);
    for (unsigned l = 0; l <= t.height_; ++l) {
        t.levels_[l].resize(nodes_at(l, n, t.arity_, t.height_));
        for (NodeKey& k : t.levels_[l]) {
            k.version = get(b, at, 8);
            std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), kKeyBytes, k.key.begin());
            at += kKeyBytes;
        }
    }
    const std::uint64_t records = get(b, at, 4);
    if ((b.size() - at) % kFormerRecordBytes != 0 || (b.size() - at) / kFormerRecordBytes != records) {
        return bad("former-path section does not hold " + std::to_string(records) + " records");
    }
    for (std::uint64_t i = 0; i < records; ++i) {
        const MemberId m = get(b, at, 8);
        const auto leaf = static_cast<std::uint32_t>(get(b, at, 4));
        const std::uint64_t moved_at = get(b, at, 8);
        if (!t.leaf_of_.contains(m) || moved_at > t.epoch_) return bad("former-path record for an unknown member or epoch");
        t.former_[m].push_back(FormerLeaf{leaf, moved_at});
    }
    t.former_sweep_at_ = std::max(kFormerSweepMin, 2 * t.former_.size());
    return t;
}

}  // namespace twofold::lkh
