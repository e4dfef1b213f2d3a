#include "gms_pg/lease.h"

#include <optional>

namespace twofold::gms {

namespace {

// The database's clock in milliseconds: one clock for every process, whatever theirs say.
#define TWOFOLD_DB_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

constexpr const char* kAcquire =
    "UPDATE gms_lease SET holder = $1, advertise = $2, token = token + 1, expires_ms = " TWOFOLD_DB_NOW_MS
    " + $3 WHERE id = 1 AND expires_ms < " TWOFOLD_DB_NOW_MS " RETURNING token";
constexpr const char* kRenew =
    "UPDATE gms_lease SET expires_ms = " TWOFOLD_DB_NOW_MS " + $2 WHERE id = 1 AND token = $1";
constexpr const char* kRelease = "UPDATE gms_lease SET expires_ms = 0 WHERE id = 1 AND token = $1";
constexpr const char* kLeader = "SELECT advertise FROM gms_lease WHERE id = 1 AND expires_ms >= " TWOFOLD_DB_NOW_MS;
constexpr const char* kIdleLimit = "SELECT set_config('idle_in_transaction_session_timeout', $1, true)";
constexpr const char* kCheck = "SELECT token FROM gms_lease WHERE id = 1 FOR SHARE";

#undef TWOFOLD_DB_NOW_MS

}  // namespace

Result<Lease> Lease::open(const std::string& conninfo, pg::RetryPolicy retry, std::string holder,
                          std::string advertise, std::chrono::milliseconds ttl) {
    auto db = pg::Connection::open(conninfo, std::move(retry));
    if (!db) return db.error();
    return Lease(std::move(*db), std::move(holder), std::move(advertise), ttl);
}

// Each step is a transaction of its own: Connection::transaction is what reconnects after a lost
// session (a database restart), within the retry policy's patience.
Result<pg::Rows> Lease::run(const char* sql, const pg::Params& params) {
    std::optional<pg::Rows> out;
    const Status s = db_.transaction([&](pg::Connection& tx) -> Status {
        auto rows = tx.query(sql, params);
        if (!rows) return rows.error();
        out = std::move(*rows);
        return {};
    });
    if (!s) return s.error();
    return std::move(*out);
}

Result<std::optional<std::int64_t>> Lease::try_acquire() {
    auto rows = run(kAcquire, pg::Params().text(holder_).text(advertise_).int8(ttl_.count()));
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<std::int64_t>();
    if (auto s = rows->expect({pg::Type::integer}); !s) return s.error();
    return std::optional<std::int64_t>(rows->integer(0, 0));
}

Result<bool> Lease::renew(std::int64_t token) {
    auto rows = run(kRenew, pg::Params().int8(token).int8(ttl_.count()));
    if (!rows) return rows.error();
    return rows->affected() == 1;
}

Status Lease::release(std::int64_t token) {
    auto rows = run(kRelease, pg::Params().int8(token));
    return rows ? Status{} : Status{rows.error()};
}

Result<std::string> Lease::leader() {
    auto rows = run(kLeader, pg::Params());
    if (!rows) return rows.error();
    if (rows->empty()) return std::string();
    if (auto s = rows->expect({pg::Type::text}); !s) return s.error();
    return rows->text(0, 0);
}

Status Lease::check_token(pg::Connection& transaction, std::int64_t token, std::chrono::milliseconds idle_limit) {
    auto limit = transaction.query(kIdleLimit, pg::Params().text(std::to_string(idle_limit.count()) + "ms"));
    if (!limit) return limit.error();
    auto rows = transaction.query(kCheck);
    if (!rows) return rows.error();
    if (auto s = rows->expect({pg::Type::integer}); !s) return s.error();
    const std::int64_t current = rows->empty() ? 0 : rows->integer(0, 0);
    if (current != token) {
        return make_error(Errc::conflict, "fenced: another GMS process took the lease (token " +
                                              std::to_string(current) + ", ours " + std::to_string(token) +
                                              "); this one no longer leads");
    }
    return {};
}

}  // namespace twofold::gms
