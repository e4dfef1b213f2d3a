// What the GMS changed in one batch, as rows to write. The core marks what is dirty; the rows
// are built once per batch, so a group changed ten times in a batch is written once.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "crypto/secret.h"
#include "gms/model.h"

namespace twofold::gms {

struct MembershipRow {
    GroupId group;
    AccountId account;
    Membership membership;
};

// A member's acknowledged RN2 epoch, and nothing else of its row, changed.
struct AckRow {
    GroupId group;
    AccountId account;
    std::uint64_t acknowledged_epoch;
};

// An accepted RN1 generation claim: the store keeps the group's last kRn1ClaimsKept.
struct Rn1ClaimRow {
    GroupId group;
    std::uint64_t generation;
    AccountId claimer;
};

struct GroupRow {
    GroupId id;
    Policy policy;
    std::uint64_t membership_epoch;
    std::uint64_t rn1_generation;
    std::uint64_t rn2_epoch;
    // The group's LKH tree and RN2, serialised and encrypted by the store: by SqliteStore::seal
    // when the journal is taken (the service commits on another thread while the core moves on),
    // or at commit time if the pointer is still set (the core has not changed since).
    const GroupKeys* keys;
    Bytes sealed_keys;
};

struct Journal {
    std::vector<Account> accounts;           // new accounts
    std::vector<GroupRow> groups;            // created or changed
    std::vector<MembershipRow> memberships;  // added or changed
    std::vector<AckRow> acks;                // only the acknowledged epoch changed (the latest)
    std::vector<Rn1ClaimRow> rn1_claims;     // accepted claims, in order
    std::vector<std::pair<GroupId, AccountId>> removed_memberships;
    // The last member left. Applied before the rows above: a group re-created with the same id
    // in the journal is written after its old rows are gone.
    std::vector<GroupId> deleted_groups;
    std::vector<std::pair<AccountId, bool>> online;  // login status changes

    bool empty() const {
        return accounts.empty() && groups.empty() && memberships.empty() && acks.empty() && rn1_claims.empty() &&
               removed_memberships.empty() && deleted_groups.empty() && online.empty();
    }
};

// Everything the store loads at start-up.
struct State {
    std::vector<Account> accounts;
    std::vector<Group> groups;
};

class JournalBuilder {
  public:
    void account(AccountId id) { accounts_.insert(id); }
    void group(const GroupId& id) { groups_.insert(id); }
    void membership(const GroupId& g, AccountId a) {
        removed_.erase({g, a});
        acked_.erase({g, a});
        memberships_.insert({g, a});
    }
    // Only the acknowledged epoch changed: an UPDATE of one column, unless the whole row is
    // written anyway. Acks to one member coalesce: the row is read when the journal is built.
    void acknowledged(const GroupId& g, AccountId a) {
        if (!memberships_.contains({g, a})) acked_.insert({g, a});
    }
    void removed(const GroupId& g, AccountId a) {
        memberships_.erase({g, a});
        acked_.erase({g, a});
        removed_.insert({g, a});
    }
    void online(AccountId a, bool is_online) { online_.emplace_back(a, is_online); }
    void rn1_claimed(const GroupId& g, std::uint64_t generation, AccountId claimer) {
        claims_.push_back({g, generation, claimer});
    }
    void deleted(const GroupId& g) {
        groups_.erase(g);
        std::erase_if(claims_, [&](const Rn1ClaimRow& c) { return c.group == g; });  // its row is gone
        deleted_.insert(g);
    }

    template <class Accounts, class Groups>
    Journal build(const Accounts& accounts, const Groups& groups);

  private:
    std::set<AccountId> accounts_;
    std::set<GroupId> groups_;
    std::set<std::pair<GroupId, AccountId>> memberships_;
    std::set<std::pair<GroupId, AccountId>> acked_;
    std::set<std::pair<GroupId, AccountId>> removed_;
    std::set<GroupId> deleted_;
    std::vector<std::pair<AccountId, bool>> online_;
    std::vector<Rn1ClaimRow> claims_;
};

template <class Accounts, class Groups>
Journal JournalBuilder::build(const Accounts& accounts, const Groups& groups) {
    Journal j;
    for (AccountId id : accounts_) j.accounts.push_back(accounts.at(id));
    for (const GroupId& id : groups_) {
        const Group& g = groups.at(id);
        j.groups.push_back(GroupRow{g.id, g.policy, g.membership_epoch, g.rn1_generation, g.keys.epoch(), &g.keys, {}});
    }
    for (const auto& [gid, aid] : memberships_) {
        const auto g = groups.find(gid);
        if (g == groups.end()) continue;
        if (auto it = g->second.members.find(aid); it != g->second.members.end()) {
            j.memberships.push_back({gid, aid, it->second});
        }
    }
    for (const auto& [gid, aid] : acked_) {
        const auto g = groups.find(gid);
        if (g == groups.end()) continue;
        if (auto it = g->second.members.find(aid); it != g->second.members.end()) {
            j.acks.push_back({gid, aid, it->second.acknowledged_epoch});
        }
    }
    j.rn1_claims = std::move(claims_);
    j.removed_memberships.assign(removed_.begin(), removed_.end());
    j.deleted_groups.assign(deleted_.begin(), deleted_.end());
    j.online = std::move(online_);
    *this = JournalBuilder{};
    return j;
}

}  // namespace twofold::gms
