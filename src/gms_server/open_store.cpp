#include "gms_server/open_store.h"

#include <spdlog/spdlog.h>

#include "gms/sqlite_store.h"
#include "gms_pg/postgres_store.h"
#include "pg/connection_string.h"

namespace twofold::gms {

Result<std::unique_ptr<Store>> open_store(const std::string& store, const std::filesystem::path& data_dir) {
    if (store.empty()) {
        auto sqlite = SqliteStore::open(data_dir);
        if (!sqlite) return sqlite.error();
        return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(*sqlite)));
    }
    if (!pg::is_postgres_url(store)) {
        return make_error(Errc::invalid_argument, "--store: expected postgresql://user@host/database (or leave it "
                                                  "out for SQLite in --data)");
    }
    pg::RetryPolicy retry;
    retry.on_retry = [](const Error& why, std::chrono::milliseconds wait) {
        spdlog::warn("database unavailable, retrying in {} ms: {}", wait.count(), why.message);
    };
    auto postgres = PostgresStore::open(store, data_dir, std::move(retry));
    if (!postgres) return postgres.error();
    if (auto s = (*postgres)->adopt_shared_identity(data_dir); !s) return s.error();
    return std::unique_ptr<Store>(std::move(*postgres));
}

std::string describe_store(const std::string& store, const std::filesystem::path& data_dir) {
    if (store.empty()) return "sqlite " + (data_dir / "gms.db").string();
    return "postgresql " + pg::redacted(store);
}

}  // namespace twofold::gms
