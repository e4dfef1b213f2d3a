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
    // The recipient acknowledged these; an envelope nobody is owed any more is deleted.
    virtual Status remove_deliveries(const MemberKey& recipient, std::span<const std::uint64_t> ids) = 0;
    // Deletes envelopes whose TTL has passed; returns how many.
    virtual Result<std::uint64_t> expire(std::uint64_t now_ms) = 0;

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
