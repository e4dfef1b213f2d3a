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
        for (auto it = owed_[recipient].upper_bound(after_id); it != owed_[recipient].end() && out.size() < limit;
             ++it) {
            out.push_back(envelopes_.at(*it));
        }
        return out;
    }
    Status remove_deliveries(const MemberKey& recipient, std::span<const std::uint64_t> ids) override {
        for (auto id : ids) {
            owed_[recipient].erase(id);
            const auto it = envelopes_.find(id);
            if (it != envelopes_.end() && it->second.group_id.empty() && !owed_by_anyone(id)) envelopes_.erase(it);
        }
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
    Result<std::uint64_t> owe_membership(const GroupId& group, const MemberKey& member,
                                         std::uint64_t member_since) override {
        for (const auto& [id, e] : envelopes_) {
            if (e.group_id != group) continue;
            if (e.epoch >= member_since && e.sender_key != member) owed_[member].insert(id);
            if (e.epoch > 0 && e.epoch < member_since) owed_[member].erase(id);
        }
        return owed_bytes(member);
    }
    Result<Released> drop_oldest(const GroupId& group, std::uint64_t bytes) override {
        Released released;
        std::map<MemberKey, std::uint64_t> owed;
        for (auto it = envelopes_.begin(); it != envelopes_.end() && released.bytes < bytes;) {
            if (it->second.group_id != group) {
                ++it;
                continue;
            }
            const std::uint64_t size = it->second.payload.size();
            for (auto& [r, ids] : owed_) {
                if (ids.erase(it->first) > 0) owed[r] += size;
            }
            released.bytes += size;
            it = envelopes_.erase(it);
        }
        released.owed.assign(owed.begin(), owed.end());
        return released;
    }
    Result<std::vector<std::pair<GroupId, std::uint64_t>>> group_bytes() override {
        std::map<GroupId, std::uint64_t> held;
        for (const auto& [id, e] : envelopes_) {
            if (!e.group_id.empty()) held[e.group_id] += e.payload.size();
        }
        return std::vector<std::pair<GroupId, std::uint64_t>>(held.begin(), held.end());
    }
    Status save_subscription(const Subscription& s) override {
        subscriptions_[{s.group, s.member}] = s;
        return {};
    }
    Result<std::vector<Subscription>> subscriptions() override {
        std::vector<Subscription> out;
        for (const auto& [k, s] : subscriptions_) out.push_back(s);
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
        for (const auto& [r, ids] : owed_) out.emplace_back(r, owed_bytes(r));
        return out;
    }
    Status commit() override {
        ++commits;
        if (fail_commit) return make_error(Errc::internal, "disk full (test)");
        return {};
    }

    // Is the envelope still held (not trimmed, expired or, for a mailbox, acknowledged)?
    bool holds(std::uint64_t id) const { return envelopes_.contains(id); }

    bool fail_commit = false;
    int commits = 0;
    int writes = 0;

  private:
    bool owed_by_anyone(std::uint64_t id) const {
        for (const auto& [r, ids] : owed_) {
            if (ids.contains(id)) return true;
        }
        return false;
    }
    std::uint64_t owed_bytes(const MemberKey& member) {
        std::uint64_t n = 0;
        for (auto id : owed_[member]) n += envelopes_.at(id).payload.size();
        return n;
    }

    std::uint64_t last_id_ = 0;
    std::map<std::uint64_t, StoredEnvelope> envelopes_;
    std::map<MemberKey, std::set<std::uint64_t>> owed_;
    std::map<std::pair<GroupId, MemberKey>, Subscription> subscriptions_;
    std::map<GroupId, GroupEpoch> epochs_;
};

}  // namespace twofold::relay::testing
