// Leadership among several twofold-gms processes on one PostgreSQL database (issue 15): one lease
// row (gms_lease) names the process that leads, until when (the database's clock, so the
// processes' clocks do not matter), and a fencing token that grows by one at every takeover.
//
// The leader renews the lease well within its TTL; a standby takes it only once it has expired.
// What makes a paused or cut-off leader harmless is not the TTL but the token: every commit
// checks it inside its own transaction (check_token, the store's commit guard) and holds the row
// in SHARE mode until COMMIT, so a takeover waits for a commit already past the check, and a
// commit after a takeover fails the check and writes nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "pg/connection.h"

namespace twofold::gms {

class Lease {
  public:
    // Its own session (a renewal must not queue behind a commit). `holder` names this process in
    // the row (for the operator); `advertise` is the HOST:PORT standbys send members to.
    static Result<Lease> open(const std::string& conninfo, pg::RetryPolicy retry, std::string holder,
                              std::string advertise, std::chrono::milliseconds ttl);

    // Takes the lease if it has expired (or was released): the new fencing token; nullopt while
    // another process holds it.
    Result<std::optional<std::int64_t>> try_acquire();
    // Extends the lease held under `token`: false if another process has taken it since.
    Result<bool> renew(std::int64_t token);
    // Lets it go at once (a clean shutdown): a standby need not wait for the TTL.
    Status release(std::int64_t token);
    // HOST:PORT of the process that holds an unexpired lease; "" while none does.
    Result<std::string> leader();

    std::chrono::milliseconds ttl() const { return ttl_; }

    // The fencing check, run first in every commit transaction: ok only while `token` is still
    // the lease's. Locks the row (SHARE) until the transaction ends. A leader paused inside the
    // transaction (SIGSTOP) would hold that lock, and with it every takeover, for as long as it
    // sleeps: the server ends a transaction left idle longer than `idle_limit` (its session
    // with it), and the woken leader's retry then fails this check.
    static Status check_token(pg::Connection& transaction, std::int64_t token, std::chrono::milliseconds idle_limit);

  private:
    Lease(pg::Connection db, std::string holder, std::string advertise, std::chrono::milliseconds ttl)
        : db_(std::move(db)), holder_(std::move(holder)), advertise_(std::move(advertise)), ttl_(ttl) {}
    Result<pg::Rows> run(const char* sql, const pg::Params& params);

    pg::Connection db_;
    std::string holder_;
    std::string advertise_;
    std::chrono::milliseconds ttl_;
};

}  // namespace twofold::gms
