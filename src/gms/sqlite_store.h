// The GMS's durable state in SQLite (WAL, synchronous=FULL): accounts, groups, memberships.
// Each group's LKH keys and RN2 are stored encrypted under a storage key kept in its own file,
// so a copy of the database (a backup, a dump) does not carry them.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gms/sealed_keys.h"
#include "gms/store.h"
#include "store/database.h"

namespace twofold::gms {

class SqliteStore final : public Store {
  public:
    static Result<SqliteStore> open(const std::filesystem::path& data_dir);

    Result<State> load() override;
    using Store::commit;
    // One transaction, one fsync.
    Status commit(std::span<const Journal> journals) override;
    void seal(Journal& journal) override;
    Result<std::vector<GroupTableRow>> group_table() override;

    SqliteStore(SqliteStore&&) noexcept;
    SqliteStore& operator=(SqliteStore&&) noexcept;
    ~SqliteStore();

  private:
    struct Statements;  // commit's statements, prepared once
    SqliteStore(store::Database db, KeySealer sealer);
    Status apply(const Journal& journal);  // inside a transaction
    Status load_claims(store::Statement& claims, Group& group);  // its recent RN1 claimers

    store::Database db_;
    KeySealer sealer_;
    std::unique_ptr<Statements> statements_;  // after db_: finalised before it closes
};

}  // namespace twofold::gms
