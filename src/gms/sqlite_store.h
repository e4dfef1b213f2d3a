// The GMS's durable state in SQLite (WAL, synchronous=FULL): accounts, groups, memberships.
// Each group's LKH keys and RN2 are stored encrypted under a storage key kept in its own file,
// so a copy of the database (a backup, a dump) does not carry them.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gms/journal.h"
#include "store/database.h"

namespace twofold::gms {

// One row of the operator's view (`twofold-gms groups`): the thesis's group table.
struct GroupTableRow {
    GroupId group;
    std::string account;
    bool online;
    std::uint64_t acknowledged_epoch;
    std::uint64_t rn2_epoch;
    Rights rights;
};

class SqliteStore {
  public:
    static Result<SqliteStore> open(const std::filesystem::path& data_dir);

    // Everything, for start-up. Login status is reset: no connection survives a restart.
    Result<State> load();
    // One transaction: committed (and fsync'd) when this returns ok.
    Status commit(const Journal& journal);
    // Several journals, in order, in one transaction (one fsync): a group commit across batches.
    Status commit(std::span<const Journal> journals);
    // Encrypts the journal's group keys now and drops its pointers into the core, so it can be
    // committed on another thread while the core changes. Not concurrently with itself.
    void seal(Journal& journal);
    Result<std::vector<GroupTableRow>> group_table();

    SqliteStore(SqliteStore&&) noexcept;
    SqliteStore& operator=(SqliteStore&&) noexcept;
    ~SqliteStore();

  private:
    struct Statements;  // commit's statements, prepared once
    SqliteStore(store::Database db, crypto::SecretBuffer storage_key);
    Bytes seal_keys(const GroupRow& row);
    Status apply(const Journal& journal);  // inside a transaction
    Result<GroupKeys> open_keys(const GroupId& id, std::uint64_t rn2_epoch, ByteView sealed);
    Status load_claims(store::Statement& claims, Group& group);  // its recent RN1 claimers

    store::Database db_;
    crypto::SecretBuffer storage_key_;
    crypto::SecretBuffer scratch_;  // serialised keys on their way to encryption, reused
    std::unique_ptr<Statements> statements_;  // after db_: finalised before it closes
};

}  // namespace twofold::gms
