#include "member_store/vault.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include "crypto/aead.h"
#include "crypto/random.h"

namespace twofold::member_store {

namespace {

// "2fld" in the SQLite header's application_id (set by migration 1, same number in decimal):
// marks the file as ours before anything else is read.
constexpr std::int64_t kApplicationId = 0x32666c64;
constexpr int kSchemaVersion = 1;
// The meaning of the meta row and of the records (AD layout, check value). Schema migrations
// that keep that meaning do not change it.
constexpr std::int64_t kFormatVersion = 1;

const std::vector<store::Migration> kMigrations = {
    {1, R"sql(
PRAGMA application_id = 845573220;
CREATE TABLE meta(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  format INTEGER NOT NULL,
  salt BLOB NOT NULL,
  opslimit INTEGER NOT NULL,
  memlimit INTEGER NOT NULL,
  check_nonce BLOB NOT NULL,
  check_sealed BLOB NOT NULL);
CREATE TABLE records(
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  nonce BLOB NOT NULL,
  sealed BLOB NOT NULL,
  PRIMARY KEY(kind, name)) WITHOUT ROWID;
)sql"},
};

constexpr std::string_view kRecordContext = "twofold/v1 vault";
constexpr std::string_view kCheckContext = "twofold/v1 vault check";
// What the check record holds does not matter, only that it opens; it is compared anyway.
constexpr std::size_t kCheckValueBytes = 32;
constexpr std::size_t kMaxLabelBytes = 255;

// A tampered file must not make open() run for hours or allocate without bound.
constexpr std::uint64_t kMaxOpslimit = 64;
constexpr std::uint64_t kMaxMemlimit = std::uint64_t{4} << 30;

Error file_error(Errc code, const std::filesystem::path& file, const std::string& problem) {
    return make_error(code, "store " + file.string() + ": " + problem);
}

Error errno_error(const std::filesystem::path& path, const char* what) {
    return make_error(Errc::unavailable,
                      "cannot " + std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

std::string describe_limits(std::uint64_t opslimit, std::uint64_t memlimit) {
    return "opslimit " + std::to_string(opslimit) + ", memlimit " + std::to_string(memlimit);
}

Status check_limits(crypto::PwhashLimits limits) {
    const auto minimum = crypto::PwhashLimits::minimum();
    if (limits.opslimit < minimum.opslimit || limits.memlimit < minimum.memlimit) {
        return make_error(Errc::invalid_argument,
                          "argon2id limits (" + describe_limits(limits.opslimit, limits.memlimit) +
                              ") are below the minimum (" + describe_limits(minimum.opslimit, minimum.memlimit) + ")");
    }
    if (limits.opslimit > kMaxOpslimit || limits.memlimit > kMaxMemlimit) {
        return make_error(Errc::invalid_argument,
                          "argon2id limits (" + describe_limits(limits.opslimit, limits.memlimit) +
                              ") are above the maximum (" + describe_limits(kMaxOpslimit, kMaxMemlimit) + ")");
    }
    return {};
}

Status check_label(std::string_view what, std::string_view label) {
    if (label.empty() || label.size() > kMaxLabelBytes || label.find('\0') != std::string_view::npos) {
        return make_error(Errc::invalid_argument,
                          "vault: a record " + std::string(what) + " must be 1-255 bytes without NUL");
    }
    return {};
}

Status check_record_labels(std::string_view kind, std::string_view name) {
    if (auto s = check_label("kind", kind); !s) return s;
    return check_label("name", name);
}

// kind/name for an error message: readable metadata, but quoted safely and kept short.
std::string record_label(std::string_view kind, std::string_view name) {
    constexpr std::size_t kShown = 64;
    std::string out;
    auto add = [&out](std::string_view s) {
        for (const char c : s.substr(0, kShown)) {
            const auto u = static_cast<unsigned char>(c);
            if (u >= 0x20 && u < 0x7f) {
                out += c;
            } else {
                static constexpr char kHex[] = "0123456789abcdef";
                out += "\\x";
                out += kHex[u >> 4];
                out += kHex[u & 0xf];
            }
        }
        if (s.size() > kShown) out += "…";
    };
    add(kind);
    out += '/';
    add(name);
    return out;
}

// "twofold/v1 vault" ‖ 0 ‖ kind ‖ 0 ‖ name: binds a value to the record it was written for.
// Labels hold no NUL, so the encoding is unambiguous.
Bytes record_ad(std::string_view kind, std::string_view name) {
    Bytes ad;
    ad.reserve(kRecordContext.size() + 2 + kind.size() + name.size());
    append(ad, as_bytes(kRecordContext));
    ad.push_back(0);
    append(ad, as_bytes(kind));
    ad.push_back(0);
    append(ad, as_bytes(name));
    return ad;
}

struct Sealed {
    crypto::AeadNonce nonce;
    Bytes ciphertext;
};

Result<Sealed> seal(const crypto::StoreKey& key, ByteView plaintext, ByteView ad) {
    Sealed out{crypto::random_array<crypto::kAeadNonceBytes>(), Bytes(plaintext.size() + crypto::kAeadTagBytes)};
    if (auto s = crypto::aead_encrypt(key.span(), out.nonce, plaintext, ad, out.ciphertext); !s) return s.error();
    return out;
}

// Opens into secure memory; any failure (short, wrong nonce length, tag) is reported as one.
Result<crypto::SecretBuffer> open_sealed(const crypto::StoreKey& key, ByteView nonce, ByteView ciphertext,
                                         ByteView ad) {
    if (ciphertext.size() < crypto::kAeadTagBytes || nonce.size() != crypto::kAeadNonceBytes) {
        return make_error(Errc::auth_failed, "sealed value is malformed");
    }
    crypto::SecretBuffer plaintext(ciphertext.size() - crypto::kAeadTagBytes);
    if (auto s = crypto::aead_decrypt(key.span(), nonce, ciphertext, ad, plaintext.mutable_span()); !s) {
        return s.error();
    }
    return plaintext;
}

// Looks at an existing file through a read-only connection, so a file that is not a vault is
// never given our tables or switched to WAL. Reads through the WAL, so a vault whose last
// writes were never checkpointed (a crash) is recognised too.
Status identify(const std::filesystem::path& file) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    const std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, &sqlite3_close_v2);
    if (rc != SQLITE_OK) {
        return file_error(Errc::unavailable, file,
                          std::string("cannot open: ") + (raw ? sqlite3_errmsg(raw) : "out of memory"));
    }
    sqlite3_busy_timeout(raw, 5000);
    auto query_int = [&](const char* sql) -> Result<std::int64_t> {
        sqlite3_stmt* stmt = nullptr;
        int code = sqlite3_prepare_v2(raw, sql, -1, &stmt, nullptr);
        const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, &sqlite3_finalize);
        if (code == SQLITE_OK) code = sqlite3_step(stmt);
        if (code == SQLITE_ROW) return sqlite3_column_int64(stmt, 0);
        if ((sqlite3_extended_errcode(raw) & 0xff) == SQLITE_NOTADB) {
            return file_error(Errc::malformed, file, "is not a vault: not an SQLite database");
        }
        return file_error(Errc::unavailable, file, std::string("cannot read: ") + sqlite3_errmsg(raw));
    };
    auto application_id = query_int("PRAGMA application_id");
    if (!application_id) return application_id.error();
    if (*application_id == 0) {
        // Also what a vault looks like when separated from its -wal file before a checkpoint.
        return file_error(Errc::malformed, file, "is not a vault: an SQLite database without the vault mark");
    }
    if (*application_id != kApplicationId) {
        return file_error(Errc::malformed, file, "is not a vault: an SQLite database of another program");
    }
    auto schema = query_int("PRAGMA user_version");
    if (!schema) return schema.error();
    if (*schema > kSchemaVersion) {
        return file_error(Errc::malformed, file,
                          "has vault schema " + std::to_string(*schema) + "; this program reads up to schema " +
                              std::to_string(kSchemaVersion));
    }
    return {};
}

struct Meta {
    FixedBytes<crypto::kPassphraseSaltBytes> salt{};
    crypto::PwhashLimits limits{};
    Bytes check_nonce;
    Bytes check_sealed;
};

Result<Meta> read_meta(store::Database& db, const std::filesystem::path& file) {
    auto st = db.prepare("SELECT format, salt, opslimit, memlimit, check_nonce, check_sealed FROM meta WHERE id = 1");
    if (!st) return file_error(st.error().code, file, st.error().message);
    auto row = st->step();
    if (!row) return file_error(row.error().code, file, row.error().message);
    if (!*row)
        return file_error(Errc::malformed, file, "is not a complete vault: no meta record (creation interrupted?)");
    if (const std::int64_t format = st->column_int(0); format != kFormatVersion) {
        return file_error(Errc::malformed, file,
                          "is vault format " + std::to_string(format) + "; this program reads format " +
                              std::to_string(kFormatVersion));
    }
    Meta meta;
    const Bytes salt = st->column_blob(1);
    if (salt.size() != meta.salt.size()) return file_error(Errc::malformed, file, "meta record: salt is not 16 bytes");
    std::copy(salt.begin(), salt.end(), meta.salt.begin());
    const std::int64_t opslimit = st->column_int(2);
    const std::int64_t memlimit = st->column_int(3);
    if (opslimit <= 0 || memlimit <= 0)
        return file_error(Errc::malformed, file, "meta record: limits are not positive");
    meta.limits = {static_cast<unsigned long long>(opslimit), static_cast<std::size_t>(memlimit)};
    if (auto s = check_limits(meta.limits); !s)
        return file_error(Errc::malformed, file, "meta record: " + s.error().message);
    meta.check_nonce = st->column_blob(4);
    meta.check_sealed = st->column_blob(5);
    return meta;
}

// Removes a half-made store unless creation finishes; declared before the Database so the
// connection is closed before the files go.
class RemoveUnlessKept {
  public:
    explicit RemoveUnlessKept(std::filesystem::path file) : file_(std::move(file)) {}
    RemoveUnlessKept(const RemoveUnlessKept&) = delete;
    RemoveUnlessKept& operator=(const RemoveUnlessKept&) = delete;
    ~RemoveUnlessKept() {
        if (keep_) return;
        for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((file_.string() + suffix).c_str());
    }
    void keep() { keep_ = true; }

  private:
    std::filesystem::path file_;
    bool keep_ = false;
};

Status ensure_parent_directory(const std::filesystem::path& file) {
    const auto parent = file.parent_path();
    if (parent.empty()) return {};
    if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) return errno_error(parent, "create directory");
    return {};
}

void sync_directory(const std::filesystem::path& file) {
    const auto parent = file.parent_path();
    const int fd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
}

// The new file itself, so that "already exists" is decided atomically and the mode is exactly
// 0600 whatever the umask (SQLite gives its -wal and -shm files the same mode).
Status create_empty_file(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return file_error(Errc::invalid_argument, file, "already exists; a vault is never created over a file");
        return errno_error(file, "create");
    }
    const bool ok = ::fchmod(fd, 0600) == 0;
    ::close(fd);
    if (!ok) return errno_error(file, "set the mode of");
    return {};
}

}  // namespace

Vault::Vault(store::Database db, crypto::StoreKey key) : db_(std::move(db)), key_(std::move(key)) {}
Vault::Vault(Vault&&) noexcept = default;
Vault& Vault::operator=(Vault&&) noexcept = default;
// Closing the connection rolls back a transaction left open: it was never committed.
Vault::~Vault() = default;

Result<Vault> Vault::create(const std::filesystem::path& file, ByteView passphrase, crypto::PwhashLimits limits) {
    if (auto s = check_limits(limits); !s) return s.error();
    if (passphrase.empty()) return make_error(Errc::invalid_argument, "vault: the passphrase must not be empty");
    std::error_code ec;
    if (std::filesystem::symlink_status(file, ec).type() != std::filesystem::file_type::not_found) {
        if (ec) return file_error(Errc::unavailable, file, "cannot stat: " + ec.message());
        return file_error(Errc::invalid_argument, file, "already exists; a vault is never created over a file");
    }
    if (auto s = ensure_parent_directory(file); !s) return s.error();

    const auto salt = crypto::random_array<crypto::kPassphraseSaltBytes>();
    auto key = crypto::derive_key_from_passphrase(passphrase, salt, limits);
    if (!key) return key.error();
    const FixedBytes<kCheckValueBytes> check_value{};
    auto check = seal(*key, check_value, as_bytes(kCheckContext));
    if (!check) return check.error();

    if (auto s = create_empty_file(file); !s) return s.error();
    RemoveUnlessKept cleanup(file);
    auto db = store::Database::open(file, kMigrations);
    if (!db) return file_error(db.error().code, file, db.error().message);
    auto insert = db->prepare(
        "INSERT INTO meta(id, format, salt, opslimit, memlimit, check_nonce, check_sealed) "
        "VALUES(1, ?1, ?2, ?3, ?4, ?5, ?6)");
    if (!insert) return file_error(insert.error().code, file, insert.error().message);
    insert->bind(1, kFormatVersion)
        .bind(2, ByteView(salt))
        .bind(3, static_cast<std::int64_t>(limits.opslimit))
        .bind(4, static_cast<std::int64_t>(limits.memlimit))
        .bind(5, ByteView(check->nonce))
        .bind(6, ByteView(check->ciphertext));
    if (auto s = insert->run(); !s) return file_error(s.error().code, file, s.error().message);
    sync_directory(file);
    cleanup.keep();
    return Vault(std::move(*db), std::move(*key));
}

Result<Vault> Vault::open(const std::filesystem::path& file, ByteView passphrase) {
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (status.type() == std::filesystem::file_type::not_found) {
        return make_error(Errc::unknown, "no store at " + file.string());
    }
    if (ec) return file_error(Errc::unavailable, file, "cannot stat: " + ec.message());
    if (status.type() != std::filesystem::file_type::regular) {
        return file_error(Errc::malformed, file, "is not a vault: not a regular file");
    }
    if (auto s = identify(file); !s) return s.error();

    auto db = store::Database::open(file, kMigrations);
    if (!db) return file_error(db.error().code, file, db.error().message);
    auto meta = read_meta(*db, file);
    if (!meta) return meta.error();
    auto key = crypto::derive_key_from_passphrase(passphrase, meta->salt, meta->limits);
    if (!key) return key.error();
    // Salt and limits need no authentication of their own: changing either changes the key,
    // and the check record then fails to open.
    auto check = open_sealed(*key, meta->check_nonce, meta->check_sealed, as_bytes(kCheckContext));
    const FixedBytes<kCheckValueBytes> check_value{};
    if (!check || !crypto::equal_constant_time(check->span(), check_value)) {
        return make_error(Errc::auth_failed, "wrong passphrase");
    }
    return Vault(std::move(*db), std::move(*key));
}

Status Vault::put(std::string_view kind, std::string_view name, ByteView value) {
    if (auto s = check_record_labels(kind, name); !s) return s;
    auto sealed = seal(key_, value, record_ad(kind, name));
    if (!sealed) return sealed.error();
    auto st = db_.prepare(
        "INSERT INTO records(kind, name, nonce, sealed) VALUES(?1, ?2, ?3, ?4) "
        "ON CONFLICT(kind, name) DO UPDATE SET nonce = excluded.nonce, sealed = excluded.sealed");
    if (!st) return st.error();
    // Outside begin()/commit() this statement is its own transaction, fsync'd before it returns.
    return st->bind(1, kind).bind(2, name).bind(3, ByteView(sealed->nonce)).bind(4, ByteView(sealed->ciphertext)).run();
}

Result<std::optional<crypto::SecretBuffer>> Vault::get(std::string_view kind, std::string_view name) {
    if (auto s = check_record_labels(kind, name); !s) return s.error();
    auto st = db_.prepare("SELECT nonce, sealed FROM records WHERE kind = ?1 AND name = ?2");
    if (!st) return st.error();
    st->bind(1, kind).bind(2, name);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return std::optional<crypto::SecretBuffer>();
    auto value = open_sealed(key_, st->column_blob(0), st->column_blob(1), record_ad(kind, name));
    if (!value) {
        return make_error(Errc::auth_failed,
                          "record " + record_label(kind, name) + " does not open: the store was altered");
    }
    return std::optional<crypto::SecretBuffer>(std::move(*value));
}

Result<std::vector<std::string>> Vault::names(std::string_view kind) {
    if (auto s = check_label("kind", kind); !s) return s.error();
    // BINARY collation compares bytes, the same order as std::string.
    auto st = db_.prepare("SELECT name FROM records WHERE kind = ?1 ORDER BY name");
    if (!st) return st.error();
    st->bind(1, kind);
    std::vector<std::string> out;
    for (;;) {
        auto row = st->step();
        if (!row) return row.error();
        if (!*row) break;
        out.push_back(st->column_text(0));
    }
    return out;
}

Status Vault::erase(std::string_view kind, std::string_view name) {
    if (auto s = check_record_labels(kind, name); !s) return s;
    auto st = db_.prepare("DELETE FROM records WHERE kind = ?1 AND name = ?2");
    if (!st) return st.error();
    return st->bind(1, kind).bind(2, name).run();
}

Status Vault::begin() { return db_.begin(); }
Status Vault::commit() { return db_.commit(); }
Status Vault::rollback() { return db_.rollback(); }

}  // namespace twofold::member_store
