// Random sequences of joins, removals, renewals and batches (12,500 operations across the
// scenarios, groups of 1 to 10,000): after every step every tracked member derives the server's
// RN2; no removed member can derive any later RN2, and no joiner any earlier one, from everything
// it ever held plus every message of those epochs; replays are refused.
#include "lkh_harness.h"

namespace twofold::lkh::testing {
namespace {

struct Scenario {
    const char* name;
    unsigned arity;
    std::size_t initial;
    std::size_t operations;
    std::size_t max_members;
    std::size_t tracked;    // members whose state is kept and checked at every step
    std::size_t watched;    // removed members and joiners whose knowledge is modelled
    std::uint64_t seed;
    bool churn = false;     // removal-heavy: members move into holes, then leave before a join refreshes the edge
};

class SequenceRun {
  public:
    explicit SequenceRun(const Scenario& s) : s_(s), rng_(s.seed) {}

    void go() {
        std::vector<MemberId> first(s_.initial);
        for (auto& id : first) id = next_id_++;
        auto built = KeyTree::build(kGroup, first, s_.arity);
        ASSERT_TRUE(built.ok());
        tree_ = std::make_unique<KeyTree>(std::move(*built));
        rn2_[tree_->epoch()] = copy_key(tree_->rn2());
        for (MemberId id : first) admit(id);

        for (std::size_t op = 0; op < s_.operations; ++op) {
            step();
            if (::testing::Test::HasFatalFailure()) return;
        }
        check_secrecy();
    }

  private:
        MemberId random_member() {
        // Now and then a watched joiner, so removals of members whose knowledge is modelled happen.
        if (!knowing_.empty() && rng_() % 4 == 0) {
            auto w = knowing_.begin();
            std::advance(w, static_cast<long>(rng_() % knowing_.size()));
            return w->first;
        }
        auto it = in_tree_.begin();
        std::advance(it, static_cast<long>(rng_() % in_tree_.size()));
        return *it;
    }

    void admit(MemberId id) {
        in_tree_.insert(id);
        const bool watch = joiners_.size() < s_.watched && tree_->epoch() > 1;
        if (tracked_.size() >= s_.tracked && !watch) return;
        MemberState st = welcome(*tree_, id);
        if (watch) {
            Knowledge k;
            k.add_all(st);
            joiners_.push_back({std::move(k), tree_->epoch(), id});
            knowing_[id] = joiners_.size() - 1;
        }
        tracked_.emplace(id, std::move(st));
    }

    void step() {
        const std::size_t n = in_tree_.size();
        const unsigned dice = static_cast<unsigned>(rng_() % 10);
        std::vector<MemberId> joins, removes;
        if (s_.churn) {
            // Removals and one-for-one swaps (a joiner takes the leaver's leaf): movers leave the
            // tree while keys of their old paths are still in use.
            if (dice < 4 && n > 1) {
                removes.push_back(random_member());
            } else if (dice < 8 && n > 1) {
                joins.push_back(next_id_++);
                removes.push_back(random_member());
            } else if (dice < 9 && n < s_.max_members) {
                joins.push_back(next_id_++);
            }
        } else if (dice < 3 && n < s_.max_members) {
            joins.push_back(next_id_++);
        } else if (dice < 6 && n > 1) {
            removes.push_back(random_member());
        } else if (dice < 8) {
            const std::size_t j = rng_() % 4, r = std::min<std::size_t>(rng_() % 4, n - 1);
            for (std::size_t i = 0; i < j && n + joins.size() < s_.max_members; ++i) joins.push_back(next_id_++);
            std::set<MemberId> picked;
            while (picked.size() < r) picked.insert(random_member());
            removes.assign(picked.begin(), picked.end());
        }
        // A leaver that once moved may also replace the surviving part of its old path.
        const bool moved_before = removes.size() == 1 && tree_->holds_former_path(removes[0]);
        Rekey rekey;
        if (joins.empty() && removes.empty()) {
            rekey = tree_->renew();
            ASSERT_EQ(rekey.wrapped_keys, 1u);
        } else {
            auto r = tree_->batch(joins, removes);
            ASSERT_TRUE(r.ok()) << r.error().message << " (seed " << s_.seed << ")";
            rekey = std::move(*r);
            if (joins.empty() && removes.size() == 1 && s_.arity == 2 && !moved_before) {
                ASSERT_LE(rekey.wrapped_keys, 2 * std::max(1u, ceil_log2(n)));
            }
        }
        auto parsed = RekeyMessage::parse(rekey.message);
        ASSERT_TRUE(parsed.ok());
        history_.push_back(std::move(*parsed));
        rn2_[rekey.epoch] = copy_key(tree_->rn2());

        for (MemberId r : removes) {
            in_tree_.erase(r);
            tracked_.erase(r);
            // A watched joiner's knowledge is frozen at its removal: it now stands for a removed member too.
            if (auto k = knowing_.find(r); k != knowing_.end()) {
                removed_.push_back({joiners_[k->second].knowledge, rekey.epoch, r});
                knowing_.erase(k);
            }
        }
        for (auto& [id, st] : tracked_) {
            const Status s = st.apply(rekey.message);
            ASSERT_TRUE(s.ok()) << s_.name << ": member " << id << " at op epoch " << rekey.epoch << ": "
                                << s.error().message << " (seed " << s_.seed << ")";
            ASSERT_EQ(copy_key(st.rn2()), rn2_[rekey.epoch]) << s_.name << ": member " << id;
            if (auto k = knowing_.find(id); k != knowing_.end()) joiners_[k->second].knowledge.add_all(st);
        }
        // A replay of any earlier message is refused.
        if (!tracked_.empty() && history_.size() > 1 && rng_() % 8 == 0) {
            MemberState& st = tracked_.begin()->second;
            const RekeyMessage& old = history_[rng_() % (history_.size() - 1)];
            const Status s = st.apply(old);
            ASSERT_FALSE(s.ok());
            ASSERT_EQ(s.error().code, Errc::stale_epoch);
        }
        for (MemberId j : joins) admit(j);
    }

    void check_secrecy() {
        std::size_t checked_removed = 0, checked_joiners = 0;
        for (Watched& w : removed_) {
            for (const RekeyMessage& m : history_) {
                if (m.epoch >= w.epoch) w.knowledge.learn_from(m);
            }
            for (const auto& [epoch, rn2] : rn2_) {
                if (epoch >= w.epoch) {
                    ASSERT_FALSE(w.knowledge.holds_key_bytes(rn2))
                        << s_.name << ": member " << w.id << " removed at epoch " << w.epoch << " learned RN2 of epoch "
                        << epoch;
                }
            }
            ++checked_removed;
        }
        for (Watched& w : joiners_) {
            Knowledge k = w.knowledge;
            for (const RekeyMessage& m : history_) {
                if (m.epoch < w.epoch) k.learn_from(m);
            }
            for (const auto& [epoch, rn2] : rn2_) {
                if (epoch < w.epoch) {
                    ASSERT_FALSE(k.holds_key_bytes(rn2))
                        << s_.name << ": member " << w.id << " joined at epoch " << w.epoch << " learned RN2 of epoch "
                        << epoch;
                }
            }
            ++checked_joiners;
        }
        // The check must have had something to check.
        if (s_.watched > 0) {
            EXPECT_GT(checked_joiners, 0u) << s_.name;
            EXPECT_GT(checked_removed, 0u) << s_.name;
        }
    }

    struct Watched {
        Knowledge knowledge;
        std::uint64_t epoch;
        MemberId id;
    };

    Scenario s_;
    std::mt19937_64 rng_;
    std::unique_ptr<KeyTree> tree_;
    MemberId next_id_ = 1;
    std::set<MemberId> in_tree_;
    std::map<MemberId, MemberState> tracked_;
    std::map<MemberId, std::size_t> knowing_;  // tracked member -> its index in joiners_
    std::vector<Watched> joiners_;
    std::vector<Watched> removed_;
    std::vector<RekeyMessage> history_;
    std::map<std::uint64_t, FixedBytes<kKeyBytes>> rn2_;
};

// 12,500 operations in all.
const Scenario kScenarios[] = {
    {"small-binary", 2, 1, 4000, 64, 64, 40, 1},
    {"quaternary", 4, 1, 2500, 300, 60, 40, 2},
    {"ten-thousand", 2, 10'000, 2500, 10'050, 40, 30, 3},
    {"flat", kFlatArity, 1, 1000, 100, 100, 30, 4},
    {"churn-binary", 2, 200, 1500, 400, 200, 200, 5, true},
    {"churn-quaternary", 4, 200, 1000, 400, 200, 200, 6, true},
};

// Names, not bytes, in test listings.
void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

class LkhProperty : public ::testing::TestWithParam<Scenario> {};

TEST_P(LkhProperty, MembersAgreeAndSecrecyHolds) { SequenceRun(GetParam()).go(); }

INSTANTIATE_TEST_SUITE_P(Sequences, LkhProperty, ::testing::ValuesIn(kScenarios),
                         [](const auto& info) {
                             std::string n = info.param.name;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

}  // namespace
}  // namespace twofold::lkh::testing
