// Where the GMS keeps its state: one interface, two engines (SqliteStore, the embedded default;
// gms_pg/PostgresStore). Both commit the same Journal the same way: every row of a commit in one
// transaction, durable when commit returns ok, and the service answers only after that. Both seal
// each group's LKH tree and RN2 under the GMS's storage key (gms/sealed_keys.h) before it reaches
// the database.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "gms/journal.h"

namespace twofold::gms {

// One row of the operator's view (`twofold-gms groups`): the thesis's group table.
struct GroupTableRow {
    GroupId group;
    std::string account;
    bool online;
    std::uint64_t acknowledged_epoch;
    std::uint64_t rn2_epoch;
    Rights rights;
    std::uint64_t valid_until = 0;  // when the membership expires (unix seconds); 0: never
};

class Store {
  public:
    virtual ~Store() = default;

    // Everything, for start-up. Login status is reset: no connection survives a restart.
    virtual Result<State> load() = 0;
    // Several journals, in order, in one transaction: a group commit across batches. Committed
    // (on disk) when this returns ok; on an error nothing of them is.
    virtual Status commit(std::span<const Journal> journals) = 0;
    Status commit(const Journal& journal) { return commit(std::span<const Journal>(&journal, 1)); }
    // Encrypts the journal's group keys now and drops its pointers into the core, so it can be
    // committed on another thread while the core changes. Not concurrently with itself.
    virtual void seal(Journal& journal) = 0;
    virtual Result<std::vector<GroupTableRow>> group_table() = 0;
};

}  // namespace twofold::gms
