// The GMS's durable state in PostgreSQL: the same tables, the same Journal, committed the same
// way as SqliteStore (one transaction per commit, durable when commit returns: synchronous_commit
// stays on). Group keys are sealed under the storage key in the GMS's data directory before they
// reach the database, so its administrator, its backups and its replicas hold no RN2 or tree key.
//
// A commit runs as: BEGIN; the commit guard (set_commit_guard: a check that must hold inside the
// very transaction that writes, e.g. a leader's fencing token); every row of the journals in one
// pipelined batch; COMMIT. A lost connection is retried with backoff and the whole transaction
// runs again: every write is an upsert or a delete of given values, so a commit whose COMMIT did
// land before the loss is repeated harmlessly. A commit that cannot be made returns an error, and
// the service then answers nothing more.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "gms/sealed_keys.h"
#include "gms/store.h"
#include "pg/connection.h"

namespace twofold::gms {

class PostgresStore final : public Store {
  public:
    // `conninfo`: a postgresql:// URL; the storage key is data_dir/storage.key. Applies the
    // schema's migrations; refuses a database of a newer schema, naming both versions.
    static Result<std::unique_ptr<PostgresStore>> open(const std::string& conninfo,
                                                       const std::filesystem::path& data_dir,
                                                       pg::RetryPolicy retry = {});

    Result<State> load() override;
    using Store::commit;
    Status commit(std::span<const Journal> journals) override;
    void seal(Journal& journal) override;
    Result<std::vector<GroupTableRow>> group_table() override;

    // Runs first in every commit's transaction, after BEGIN; an error aborts the commit (rolled
    // back, returned, not retried). Runs again if the transaction is retried after a lost
    // connection. Default: none.
    using CommitGuard = std::function<Status(pg::Connection& transaction)>;
    void set_commit_guard(CommitGuard guard) { commit_guard_ = std::move(guard); }

    // Makes data_dir's TLS identity and signing key the database's (gms_pg/shared_identity.h).
    Status adopt_shared_identity(const std::filesystem::path& data_dir);

    // The session, for what shares this database (a leadership lease). Not during a commit.
    pg::Connection& connection() { return db_; }

  private:
    PostgresStore(pg::Connection db, KeySealer sealer) : db_(std::move(db)), sealer_(std::move(sealer)) {}
    Status guard_commit(pg::Connection& transaction);  // the first step of every commit transaction
    std::vector<pg::Command> commands(std::span<const Journal> journals);

    pg::Connection db_;
    KeySealer sealer_;
    CommitGuard commit_guard_;
};

}  // namespace twofold::gms
