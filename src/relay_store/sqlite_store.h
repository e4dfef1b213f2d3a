// RelayStore on SQLite (WAL, synchronous=FULL): DIR/relay.db. Writes open a transaction that
// commit() closes, so a batch of envelopes costs one fsync.
//
// Schema (version 2; a version-1 database is migrated on open):
//   envelopes(id INTEGER PRIMARY KEY AUTOINCREMENT, type, sender, recipient, group_id, payload, expires_ms,
//             epoch)                              epoch: the publisher's membership epoch (group envelopes)
//   deliveries(recipient, envelope_id)            one row per recipient still owed the envelope
//   subscriptions(group_id, member, epoch, member_since)  the membership served per (group, member)
//   group_epochs(group_id, epoch, first_seen_ms)  the newest statement epoch seen per group
// A mailbox envelope is deleted with its last delivery row; a group envelope when it expires or
// its group is over its byte cap (RelayStore::drop_oldest).
// AUTOINCREMENT: an id is never reused, even after the newest envelope is deleted, so ids stay
// valid for duplicate suppression across restarts.
#pragma once

#include <filesystem>
#include <memory>

#include "relay/store.h"
#include "store/database.h"

namespace twofold::relay {

class SqliteStore final : public RelayStore {
  public:
    static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& db_path);
    ~SqliteStore() override;

    Result<std::uint64_t> insert(const StoredEnvelope& envelope, std::span<const MemberKey> recipients) override;
    Result<std::vector<StoredEnvelope>> pending(const MemberKey& recipient, std::uint64_t after_id,
                                                std::size_t limit) override;
    Status remove_deliveries(const MemberKey& recipient, std::span<const std::uint64_t> ids) override;
    Result<std::uint64_t> expire(std::uint64_t now_ms) override;
    Result<std::uint64_t> owe_membership(const GroupId& group, const MemberKey& member,
                                         std::uint64_t member_since) override;
    Result<Released> drop_oldest(const GroupId& group, std::uint64_t bytes) override;
    Result<std::vector<std::pair<GroupId, std::uint64_t>>> group_bytes() override;
    Status save_subscription(const Subscription& subscription) override;
    Result<std::vector<Subscription>> subscriptions() override;
    Status save_group_epoch(const GroupEpoch& epoch) override;
    Result<std::vector<GroupEpoch>> group_epochs() override;
    Result<std::vector<std::pair<MemberKey, std::uint64_t>>> queued_bytes() override;
    Status commit() override;

  private:
    struct Statements;
    SqliteStore(store::Database db, std::unique_ptr<Statements> statements);
    Status ensure_transaction();

    store::Database db_;
    std::unique_ptr<Statements> st_;
};

}  // namespace twofold::relay
