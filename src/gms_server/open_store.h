// Which store a GMS runs on: `--store postgresql://...` (gms_pg/PostgresStore), or by default
// SQLite in the data directory (gms/SqliteStore). The storage key, TLS identity and signing key
// stay in the data directory either way.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "gms/store.h"

namespace twofold::gms {

// `store`: empty for SQLite in data_dir, or a postgresql:// (postgres://) URL. On PostgreSQL the
// data directory's TLS identity and signing key become the database's shared ones
// (gms_pg/shared_identity.h): every process on one database serves the same identity.
Result<std::unique_ptr<Store>> open_store(const std::string& store, const std::filesystem::path& data_dir);

// What a log line may say about the store: the URL without its password, or the SQLite file.
std::string describe_store(const std::string& store, const std::filesystem::path& data_dir);

}  // namespace twofold::gms
