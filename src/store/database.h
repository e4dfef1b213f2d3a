// SQLite, the embedded default store: RAII handles, typed errors, WAL, versioned migrations.
//
// Durability: WAL with synchronous=FULL, so a committed transaction is on disk (the WAL is
// fsync'd) before commit() returns; callers acknowledge a change only after that. Group commit
// is the caller's choice: many changes in one transaction, one fsync.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/bytes.h"

struct sqlite3;
struct sqlite3_stmt;

namespace twofold::store {

class Statement {
  public:
    Statement(Statement&&) noexcept;
    Statement& operator=(Statement&&) noexcept;
    ~Statement();

    // Parameters are numbered from 1, as in SQL's ?1, ?2 ...
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, ByteView blob);
    Statement& bind_null(int index);

    // true: a row is ready; false: done. Errors name the statement.
    Result<bool> step();
    // Runs to completion, for statements that return no rows.
    Status run();
    void reset();  // clears bindings too

    std::int64_t column_int(int index) const;
    std::string column_text(int index) const;
    Bytes column_blob(int index) const;
    bool column_is_null(int index) const;

  private:
    friend class Database;
    Statement(sqlite3_stmt* stmt, sqlite3* db);
    sqlite3_stmt* stmt_;
    sqlite3* db_;
};

struct Migration {
    int version;      // 1, 2, 3 ... applied in order, each exactly once
    const char* sql;  // may hold several statements
};

class Database {
  public:
    // Opens (creating) the file, turns on WAL and synchronous=FULL, foreign keys, and a busy
    // timeout, then applies the migrations above PRAGMA user_version in one transaction each.
    static Result<Database> open(const std::filesystem::path& path, const std::vector<Migration>& migrations);

    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;
    ~Database();

    Status exec(std::string_view sql);
    Result<Statement> prepare(std::string_view sql);

    Status begin();   // BEGIN IMMEDIATE: the write lock is taken now, not at the first write
    Status commit();
    Status rollback();
    bool in_transaction() const;

    int schema_version();
    std::int64_t last_insert_rowid() const;
    std::int64_t changes() const;  // rows changed by the last statement

  private:
    explicit Database(sqlite3* db);
    Status migrate(const std::vector<Migration>& migrations);
    sqlite3* db_;
};

}  // namespace twofold::store
