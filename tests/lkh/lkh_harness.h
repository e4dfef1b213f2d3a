// Test harness for the key tree: a server tree, the members' states, every message and RN2 by
// epoch, and an honest model of what a set of keys can learn from a set of messages.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "lkh/key_tree.h"
#include "lkh/member_state.h"

namespace twofold::lkh::testing {

inline const Bytes kGroup = {'g', 'r', 'o', 'u', 'p', '-', '1'};

using KeyId = std::pair<NodeId, std::uint64_t>;  // (node, version)

// Everything a party ever held, and the closure of it over messages: decrypt every entry whose
// wrapping key it holds, add what it learns, repeat until nothing new.
class Knowledge {
  public:
    void add(const PathKey& k) { keys_[{k.id, k.version}] = k.key; }
    void add_all(const MemberState& s) {
        for (const PathKey& k : s.keys()) add(k);
    }
    // One message: passes until no entry opens anything new.
    void learn_from(const RekeyMessage& m) {
        const auto header_hash = crypto::sha256(m.header());
        for (bool progress = true; progress;) {
            progress = false;
            for (const Entry& e : m.entries) {
                const auto holder = keys_.find({e.wrapping, e.wrapping_version});
                if (holder == keys_.end() || keys_.contains({e.target, m.epoch})) continue;
                FixedBytes<kKeyBytes> out{};
                if (crypto::aead_decrypt(holder->second, e.nonce, e.wrapped, entry_ad(header_hash, e), out)) {
                    keys_[{e.target, m.epoch}] = out;
                    progress = true;
                }
            }
        }
    }
    bool holds_key_bytes(const FixedBytes<kKeyBytes>& secret) const {
        for (const auto& [id, k] : keys_) {
            if (k == secret) return true;
        }
        return false;
    }
    std::size_t size() const { return keys_.size(); }

  private:
    std::map<KeyId, FixedBytes<kKeyBytes>> keys_;
};

inline FixedBytes<kKeyBytes> copy_key(std::span<const std::uint8_t, kKeyBytes> k) {
    FixedBytes<kKeyBytes> out;
    std::copy(k.begin(), k.end(), out.begin());
    return out;
}

inline MemberState welcome(const KeyTree& tree, MemberId m) {
    auto bytes = tree.member_state(m);
    EXPECT_TRUE(bytes.ok());
    auto state = MemberState::parse(bytes->span());
    EXPECT_TRUE(state.ok()) << state.error().message;
    return std::move(*state);
}

inline unsigned ceil_log2(std::uint64_t n) {
    unsigned h = 0;
    while ((std::uint64_t{1} << h) < n) ++h;
    return h;
}

}  // namespace twofold::lkh::testing
