#include "store/database.h"

#include <sqlite3.h>

namespace twofold::store {

namespace {

Error sqlite_error(sqlite3* db, const std::string& what) {
    const int code = sqlite3_extended_errcode(db);
    const bool corrupt = (code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB;
    return make_error(corrupt ? Errc::malformed : Errc::internal,
                      "storage: " + what + ": " + sqlite3_errmsg(db));
}

}  // namespace

Statement::Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
Statement::Statement(Statement&& o) noexcept : stmt_(o.stmt_), db_(o.db_) { o.stmt_ = nullptr; }
Statement& Statement::operator=(Statement&& o) noexcept {
    if (this != &o) {
        sqlite3_finalize(stmt_);
        stmt_ = o.stmt_;
        db_ = o.db_;
        o.stmt_ = nullptr;
    }
    return *this;
}
Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}
Statement& Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}
Statement& Statement::bind(int index, ByteView blob) {
    // A zero-length blob must still be a blob, not NULL: SQLite needs a non-null pointer.
    static const std::uint8_t kEmpty = 0;
    sqlite3_bind_blob64(stmt_, index, blob.empty() ? &kEmpty : blob.data(), blob.size(), SQLITE_TRANSIENT);
    return *this;
}
Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Result<bool> Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_error(db_, std::string("step \"") + sqlite3_sql(stmt_) + "\"");
}

Status Statement::run() {
    for (;;) {
        auto r = step();
        if (!r) {
            reset();
            return r.error();
        }
        if (!*r) break;
    }
    reset();
    return {};
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }
std::string Statement::column_text(int index) const {
    const auto* p = sqlite3_column_text(stmt_, index);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p),
                                                      static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}
Bytes Statement::column_blob(int index) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, index));
    return p == nullptr ? Bytes() : Bytes(p, p + sqlite3_column_bytes(stmt_, index));
}
bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

Database::Database(sqlite3* db) : db_(db) {}
Database::Database(Database&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
Database& Database::operator=(Database&& o) noexcept {
    if (this != &o) {
        sqlite3_close_v2(db_);
        db_ = o.db_;
        o.db_ = nullptr;
    }
    return *this;
}
Database::~Database() { sqlite3_close_v2(db_); }

Result<Database> Database::open(const std::filesystem::path& path, const std::vector<Migration>& migrations) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    Database db(raw);
    if (rc != SQLITE_OK) {
        return make_error(Errc::unavailable, "storage: cannot open " + path.string() + ": " +
                                                 (raw ? sqlite3_errmsg(raw) : "out of memory"));
    }
    sqlite3_busy_timeout(raw, 5000);
    sqlite3_extended_result_codes(raw, 1);
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
                               "PRAGMA secure_delete=ON"}) {
        if (auto s = db.exec(pragma); !s) return s.error();
    }
    if (auto s = db.migrate(migrations); !s) return s.error();
    return db;
}

Status Database::exec(std::string_view sql) {
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return sqlite_error(db_, "exec \"" + text.substr(0, 60) + "\"");
    }
    return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
        SQLITE_OK) {
        return sqlite_error(db_, "prepare \"" + std::string(sql.substr(0, 60)) + "\"");
    }
    return Statement(stmt, db_);
}

Status Database::begin() { return exec("BEGIN IMMEDIATE"); }
Status Database::commit() { return exec("COMMIT"); }
Status Database::rollback() { return exec("ROLLBACK"); }
bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

int Database::schema_version() {
    auto st = prepare("PRAGMA user_version");
    if (!st || !st->step().ok()) return -1;
    return static_cast<int>(st->column_int(0));
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
std::int64_t Database::changes() const { return sqlite3_changes64(db_); }

Status Database::migrate(const std::vector<Migration>& migrations) {
    const int current = schema_version();
    if (current < 0) return sqlite_error(db_, "read schema version");
    const int newest = migrations.empty() ? 0 : migrations.back().version;
    if (current > newest) {
        return make_error(Errc::malformed, "storage: database schema version " + std::to_string(current) +
                                               " is newer than this program knows (" + std::to_string(newest) + ")");
    }
    for (const Migration& m : migrations) {
        if (m.version <= current) continue;
        if (auto s = begin(); !s) return s;
        Status s = exec(m.sql);
        if (s) s = exec("PRAGMA user_version=" + std::to_string(m.version));
        if (s) s = commit();
        if (!s) {
            (void)rollback();
            return make_error(s.error().code, "migration to schema " + std::to_string(m.version) + " failed: " +
                                                  s.error().message);
        }
    }
    return {};
}

}  // namespace twofold::store
