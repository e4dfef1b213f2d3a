#include "pg/migrations.h"

#include <algorithm>

namespace twofold::pg {

namespace {

// Any fixed key: every twofold process that migrates takes the same lock.
constexpr std::int64_t kMigrationLock = 0x74776f666f6c6400;  // "twofold\0"

constexpr const char* kVersionTable =
    "CREATE TABLE IF NOT EXISTS twofold_schema(component text PRIMARY KEY, version integer NOT NULL)";

Result<int> read_version(Connection& db, const std::string& component) {
    auto rows = db.query("SELECT version FROM twofold_schema WHERE component = $1", Params().text(component));
    if (!rows) return rows.error();
    if (rows->empty()) return 0;
    if (auto s = rows->expect({Type::integer}); !s) return s.error();
    return static_cast<int>(rows->integer(0, 0));
}

}  // namespace

Result<int> schema_version(Connection& db, const std::string& component) {
    auto exists = db.query("SELECT 1 FROM pg_tables WHERE tablename = 'twofold_schema' AND schemaname = current_schema()");
    if (!exists) return exists.error();
    if (exists->empty()) return 0;
    return read_version(db, component);
}

Status migrate(Connection& db, const std::string& component, const std::vector<Migration>& migrations) {
    const int newest = migrations.empty() ? 0 : migrations.back().version;
    for (;;) {
        bool done = false;
        Status s = db.transaction([&](Connection& tx) -> Status {
            if (auto r = tx.query("SELECT pg_advisory_xact_lock($1)", Params().int8(kMigrationLock)); !r) return r.error();
            if (auto r = tx.exec(kVersionTable); !r) return r;
            auto current = read_version(tx, component);
            if (!current) return current.error();
            if (*current > newest) {
                return make_error(Errc::malformed, "postgresql: database schema version " + std::to_string(*current) +
                                                       " is newer than this program knows (" + std::to_string(newest) +
                                                       ")");
            }
            done = *current == newest;
            if (done) return {};
            const auto next = std::find_if(migrations.begin(), migrations.end(),
                                           [&](const Migration& m) { return m.version > *current; });
            if (auto r = tx.exec(next->sql); !r) {
                return make_error(r.error().code, "migration to schema " + std::to_string(next->version) +
                                                      " failed: " + r.error().message);
            }
            auto set = tx.query(
                "INSERT INTO twofold_schema(component, version) VALUES ($1, $2) "
                "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                Params().text(component).int8(next->version));
            return set ? Status{} : Status{set.error()};
        });
        if (!s) return s;
        if (done) return {};
    }
}

}  // namespace twofold::pg
