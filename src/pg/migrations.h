// Versioned schema migrations, as store/database.h does them for SQLite: a table records each
// component's schema version; the migrations above it are applied in order, each in its own
// transaction (PostgreSQL's DDL is transactional), under an advisory lock so that two processes
// starting on one database at once do not both apply one. A database of a newer schema than the
// program knows is refused, naming both versions.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "pg/connection.h"

namespace twofold::pg {

struct Migration {
    int version;      // 1, 2, 3 ... applied in order, each exactly once
    const char* sql;  // may hold several statements
};

Status migrate(Connection& db, const std::string& component, const std::vector<Migration>& migrations);

// The component's schema version; 0 for a database it has never been migrated in.
Result<int> schema_version(Connection& db, const std::string& component);

}  // namespace twofold::pg
