// What the relay's logic needs from storage, behind an interface so that the logic is tested
// with an in-memory fake and runs on SQLite (relay_store/) in the server.
//
// Writes accumulate in one open transaction until commit(), which returns once they are durable:
// the core acknowledges nothing before that (group commit).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/result.h"
#include "relay/types.h"

namespace twofold::relay {

class RelayStore {
  public:
    virtual ~RelayStore() = default;

    // Stores the envelope (its id is ignored) with one delivery row per recipient; returns the
    // new id. Ids only grow and are never reused, so receivers can drop duplicates by id.
    virtual Result<std::uint64_t> insert(const StoredEnvelope& envelope, std::span<const MemberKey> recipients) = 0;
    // Up to `limit` envelopes still owed to `recipient` with id > after_id, in id order.
    virtual Result<std::vector<StoredEnvelope>> pending(const MemberKey& recipient, std::uint64_t after_id,
                                                        std::size_t limit) = 0;
    // The recipient acknowledged these. A mailbox envelope nobody is owed any more is deleted; a
    // group envelope stays until it expires or is trimmed (a later joiner may be owed it).
    virtual Status remove_deliveries(const MemberKey& recipient, std::span<const std::uint64_t> ids) = 0;
    // Deletes envelopes whose TTL has passed; returns how many.
    virtual Result<std::uint64_t> expire(std::uint64_t now_ms) = 0;

    // A membership of `member` in `group` that began at `member_since`: it is owed every stored
    // envelope of the group of epoch >= member_since (except its own), and no longer owed those
    // of an earlier known epoch (epoch 0, stored before epochs were kept, is left as it is).
    // Returns the payload bytes now owed to the member in all.
    virtual Result<std::uint64_t> owe_membership(const GroupId& group, const MemberKey& member,
                                                 std::uint64_t member_since) = 0;
    // Deletes the group's oldest envelopes (and what is owed of them) until at least `bytes`
    // payload bytes are gone or the group has none left.
    virtual Result<Released> drop_oldest(const GroupId& group, std::uint64_t bytes) = 0;
    // Payload bytes stored per group.
    virtual Result<std::vector<std::pair<GroupId, std::uint64_t>>> group_bytes() = 0;

    virtual Status save_subscription(const Subscription& subscription) = 0;
    virtual Result<std::vector<Subscription>> subscriptions() = 0;
    virtual Status save_group_epoch(const GroupEpoch& epoch) = 0;
    virtual Result<std::vector<GroupEpoch>> group_epochs() = 0;
    // Payload bytes still owed to each recipient.
    virtual Result<std::vector<std::pair<MemberKey, std::uint64_t>>> queued_bytes() = 0;

    // Makes every write since the last commit durable.
    virtual Status commit() = 0;
};

}  // namespace twofold::relay
