// One PostgreSQL session over libpq: parameterised statements (prepared once per session, binary
// bytea and integers), pipelined batches, transactions that survive a lost connection by
// reconnecting with backoff and running again, and errors that say what failed without quoting
// a parameter (they may be sealed secrets): the server's primary message, its SQLSTATE, and the
// first words of our own SQL. No libpq type appears here.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "pg/params.h"
#include "pg/rows.h"

namespace twofold::pg {

struct RetryPolicy {
    std::chrono::milliseconds first_delay{50};
    std::chrono::milliseconds max_delay{1'000};
    std::chrono::milliseconds give_up_after{30'000};  // per outage, from the first failure
    // Told about each failed attempt before the wait (the service logs it).
    std::function<void(const Error& why, std::chrono::milliseconds next_wait)> on_retry;
};

// One statement of a pipelined batch.
struct Command {
    std::string_view sql;  // our own text (static), never built from values
    Params params;
};

class Connection {
  public:
    // `conninfo`: a postgresql:// URL or key=value pairs. A server that does not answer (down,
    // starting, restarting) is waited for as the policy says; one that answers and refuses (a
    // bad password, no such database) fails at once.
    static Result<Connection> open(const std::string& conninfo, RetryPolicy retry = {});

    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    ~Connection();

    // Simple protocol, several statements, no parameters: schema migrations.
    Status exec(std::string_view sql);
    Result<Rows> query(std::string_view sql, const Params& params = {});
    // Sends every command before reading any answer (libpq pipeline mode): one round trip for
    // the batch. Stops at the first failure, which it returns.
    Status pipeline(std::span<const Command> commands);

    // BEGIN, body, COMMIT. If the connection is lost at any point, COMMIT included (whose outcome
    // is then unknown), it reconnects with backoff and runs body again from BEGIN: body must be
    // safe to repeat. Any other failure rolls back and is returned; ok means committed.
    Status transaction(const std::function<Status(Connection&)>& body);

    // The last failure was the connection's (lost, refused, server shutting down).
    bool lost() const { return lost_; }
    // The target without its password, for logs: "user@host:port/db".
    const std::string& target() const { return target_; }

  private:
    struct Session;  // the PGconn and its prepared statements (connection.cpp)
    Connection(std::string conninfo, RetryPolicy retry, std::unique_ptr<Session> session);
    Status reconnect(std::chrono::steady_clock::time_point deadline, const Error& why);
    Result<std::string> prepared(std::string_view sql, const Params& params);
    Status send_all(std::span<const Command> commands, int& sent);

    std::string conninfo_;
    std::string target_;
    RetryPolicy retry_;
    std::unique_ptr<Session> session_;
    bool lost_ = false;
};

}  // namespace twofold::pg
