// RelayStore in memory, for the core's tests. commit() can be made to fail.
#pragma once

#include <map>
#include <set>

#include "relay/store.h"

namespace twofold::relay::testing {

class MemoryStore final : public RelayStore {
  public:
    Result<std::uint64_t> insert(const StoredEnvelope& envelope, std::span<const MemberKey> recipients) override {
        StoredEnvelope e = envelope;
        e.id = ++last_id_;
        envelopes_[e.id] = e;
        for (const auto& r : recipients) owed_[r].insert(e.id);
        ++writes;
        return e.id;
    }
    Result<std::vector<StoredEnvelope>> pending(const MemberKey& recipient, std::uint64_t after_id,
                                                std::size_t limit) override {
        std::vector<StoredEnvelope> out;
        for (auto it = owed_[recipient].upper_bound(after_id); it != owed_[recipient].end() && out.size() < limit; ++it) {
            out.push_back(envelopes_.at(*it));
        }
        return out;
    }
    Status remove_deliveries(const MemberKey& recipient, std::span<const std::uint64_t> ids) override {
        for (auto id : ids) owed_[recipient].erase(id);
        return {};
    }
    Result<std::uint64_t> expire(std::uint64_t now_ms) override {
        std::uint64_t n = 0;
        for (auto it = envelopes_.begin(); it != envelopes_.end();) {
            if (it->second.expires_ms > now_ms) {
                ++it;
                continue;
            }
            for (auto& [r, ids] : owed_) ids.erase(it->first);
            it = envelopes_.erase(it);
            ++n;
        }
        return n;
    }
    Status save_subscription(const Subscription& s) override {
        subscriptions_[{s.group, s.member}] = s.epoch;
        return {};
    }
    Result<std::vector<Subscription>> subscriptions() override {
        std::vector<Subscription> out;
        for (const auto& [k, epoch] : subscriptions_) out.push_back(Subscription{k.first, k.second, epoch});
        return out;
    }
    Status save_group_epoch(const GroupEpoch& e) override {
        epochs_[e.group] = e;
        return {};
    }
    Result<std::vector<GroupEpoch>> group_epochs() override {
        std::vector<GroupEpoch> out;
        for (const auto& [g, e] : epochs_) out.push_back(e);
        return out;
    }
    Result<std::vector<std::pair<MemberKey, std::uint64_t>>> queued_bytes() override {
        std::vector<std::pair<MemberKey, std::uint64_t>> out;
        for (const auto& [r, ids] : owed_) {
            std::uint64_t n = 0;
            for (auto id : ids) n += envelopes_.at(id).payload.size();
            out.emplace_back(r, n);
        }
        return out;
    }
    Status commit() override {
        ++commits;
        if (fail_commit) return make_error(Errc::internal, "disk full (test)");
        return {};
    }

    bool fail_commit = false;
    int commits = 0;
    int writes = 0;

  private:
    std::uint64_t last_id_ = 0;
    std::map<std::uint64_t, StoredEnvelope> envelopes_;
    std::map<MemberKey, std::set<std::uint64_t>> owed_;
    std::map<std::pair<GroupId, MemberKey>, std::uint64_t> subscriptions_;
    std::map<GroupId, GroupEpoch> epochs_;
};

}  // namespace twofold::relay::testing
