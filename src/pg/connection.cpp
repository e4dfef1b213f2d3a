#include "pg/connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <thread>
#include <unordered_map>
#include <vector>

#include "pg/connection_string.h"

namespace twofold::pg {

namespace {

using Clock = std::chrono::steady_clock;

// Results are asked for in binary: integers and bytea arrive as raw bytes.
constexpr int kBinaryResults = 1;
// A pipeline is synced every so many commands: libpq blocks on a full socket, so a client that
// only sends while the server waits to send results would deadlock on a very long batch.
constexpr std::size_t kPipelineChunk = 512;

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// "INSERT INTO groups(id, ..." -> its first words: names the statement, never a value.
std::string label(std::string_view sql) {
    std::string s(sql.substr(0, 48));
    std::replace(s.begin(), s.end(), '\n', ' ');
    return sql.size() > 48 ? s + "..." : s;
}

std::string trimmed(const char* message) {
    std::string s = message != nullptr ? message : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// Class 08 (connection exception) and the shutdown codes of class 57: the session is gone.
bool connection_state(const std::string& sqlstate) {
    return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

Rows to_rows(const PGresult* r) {
    const int fields = PQnfields(r);
    const int tuples = PQntuples(r);
    std::vector<Rows::Column> columns;
    for (int c = 0; c < fields; ++c) columns.push_back({PQfname(r, c), PQftype(r, c)});
    std::vector<std::optional<Bytes>> cells;
    cells.reserve(static_cast<std::size_t>(fields) * static_cast<std::size_t>(tuples));
    for (int t = 0; t < tuples; ++t) {
        for (int c = 0; c < fields; ++c) {
            if (PQgetisnull(r, t, c)) {
                cells.emplace_back();
                continue;
            }
            const auto* v = reinterpret_cast<const std::uint8_t*>(PQgetvalue(r, t, c));
            cells.emplace_back(Bytes(v, v + PQgetlength(r, t, c)));
        }
    }
    const char* affected = PQcmdTuples(const_cast<PGresult*>(r));
    return Rows(std::move(columns), std::move(cells), affected[0] != '\0' ? std::atoll(affected) : 0);
}

}  // namespace

struct Connection::Session {
    PGconn* conn = nullptr;
    std::unordered_map<std::string, std::string> prepared;  // SQL text -> statement name
    explicit Session(PGconn* c) : conn(c) {}
    ~Session() { PQfinish(conn); }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // The failure of `what`: the server's primary message and SQLSTATE only (its DETAIL may quote
    // a value, "Key (id)=(...)"), or libpq's own message when there was no server error.
    Error failure(std::string_view what, const PGresult* r, bool& lost) const {
        const char* primary = r != nullptr ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
        const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
        const std::string sqlstate = state != nullptr ? state : "";
        lost = PQstatus(conn) == CONNECTION_BAD || connection_state(sqlstate);
        std::string message = "postgresql: " + label(what) + ": ";
        message += primary != nullptr ? trimmed(primary) : trimmed(PQerrorMessage(conn));
        if (!sqlstate.empty()) message += " (SQLSTATE " + sqlstate + ")";
        return make_error(lost ? Errc::unavailable : Errc::internal, message);
    }
};

namespace {

PGconn* connect(const std::string& conninfo) {
    // Ours first: the caller's URL may override them. Keepalives and a user timeout notice a
    // server that vanished without closing (a dead machine), so a commit does not hang on it.
    const char* keys[] = {"application_name", "connect_timeout", "keepalives_idle", "keepalives_interval",
                          "keepalives_count", "tcp_user_timeout", "dbname", nullptr};
    const char* values[] = {"twofold", "10", "10", "3", "3", "15000", conninfo.c_str(), nullptr};
    return PQconnectdbParams(keys, values, /*expand_dbname=*/1);
}

}  // namespace

Connection::Connection(std::string conninfo, RetryPolicy retry, std::unique_ptr<Session> session)
    : conninfo_(std::move(conninfo)), target_(redacted(conninfo_)), retry_(std::move(retry)),
      session_(std::move(session)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Result<Connection> Connection::open(const std::string& conninfo, RetryPolicy retry) {
    if (auto s = check_conninfo(conninfo); !s) return s.error();
    Connection c(conninfo, std::move(retry), nullptr);
    const Error first = make_error(Errc::unavailable, "postgresql: not connected yet");
    if (auto s = c.reconnect(Clock::now() + c.retry_.give_up_after, first); !s) return s.error();
    return c;
}

Status Connection::reconnect(Clock::time_point deadline, const Error& why) {
    auto delay = retry_.first_delay;
    Error last = why;
    for (bool first = true;; first = false) {
        if (!first) {
            if (Clock::now() + delay > deadline) {
                return make_error(Errc::unavailable, "postgresql: " + target_ + " still unreachable, gave up: " + last.message);
            }
            if (retry_.on_retry) retry_.on_retry(last, delay);
            std::this_thread::sleep_for(delay);
            delay = std::min(delay * 2, retry_.max_delay);
        }
        session_.reset();
        auto s = std::make_unique<Session>(connect(conninfo_));
        if (PQstatus(s->conn) == CONNECTION_OK) {
            // Notices ("relation already exists, skipping") are not errors and go nowhere.
            PQsetNoticeProcessor(s->conn, [](void*, const char*) {}, nullptr);
            session_ = std::move(s);
            lost_ = false;
            return {};
        }
        last = make_error(Errc::unavailable, "postgresql: connect to " + target_ + ": " + trimmed(PQerrorMessage(s->conn)));
        // A server that answers and refuses (authentication, no such database) will not change
        // its mind: only an absent, starting or stopping server is waited for.
        const PGPing ping = PQping(conninfo_.c_str());
        if (ping == PQPING_OK || ping == PQPING_NO_ATTEMPT) return last;
    }
}

Status Connection::exec(std::string_view sql) {
    if (!session_) return make_error(Errc::unavailable, "postgresql: not connected");
    const std::string text(sql);
    ResultPtr r(PQexec(session_->conn, text.c_str()));
    const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return session_->failure(sql, r.get(), lost_);
    // COMMIT of a transaction that had failed answers "ROLLBACK" without an error.
    if (sql == "COMMIT" && std::string_view(PQcmdStatus(r.get())) != "COMMIT") {
        return make_error(Errc::internal, "postgresql: COMMIT rolled back");
    }
    return {};
}

Result<std::string> Connection::prepared(std::string_view sql, const Params& params) {
    const std::string text(sql);
    if (auto it = session_->prepared.find(text); it != session_->prepared.end()) return it->second;
    std::string name = "s" + std::to_string(session_->prepared.size() + 1);
    ResultPtr r(PQprepare(session_->conn, name.c_str(), text.c_str(), params.size(),
                          reinterpret_cast<const Oid*>(params.types().data())));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return session_->failure(sql, r.get(), lost_);
    session_->prepared.emplace(text, name);
    return name;
}

Result<Rows> Connection::query(std::string_view sql, const Params& params) {
    if (!session_) return make_error(Errc::unavailable, "postgresql: not connected");
    auto name = prepared(sql, params);
    if (!name) return name.error();
    const auto values = params.values();
    const auto lengths = params.lengths();
    const auto formats = params.formats();
    ResultPtr r(PQexecPrepared(session_->conn, name->c_str(), params.size(), values.data(), lengths.data(),
                               formats.data(), kBinaryResults));
    const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return session_->failure(sql, r.get(), lost_);
    return to_rows(r.get());
}

Status Connection::pipeline(std::span<const Command> commands) {
    if (!session_) return make_error(Errc::unavailable, "postgresql: not connected");
    // Statements are prepared before the pipeline: a prepare in it would need its own result.
    for (const Command& c : commands) {
        if (auto name = prepared(c.sql, c.params); !name) return name.error();
    }
    for (std::size_t start = 0; start < commands.size(); start += kPipelineChunk) {
        const auto chunk = commands.subspan(start, std::min(kPipelineChunk, commands.size() - start));
        int sent = 0;
        Status s = send_all(chunk, sent);
        // Every result up to the sync is read, also after a failure, before leaving pipeline mode.
        for (int i = 0; i < sent; ++i) {
            ResultPtr r(PQgetResult(session_->conn));
            if (!r) {
                if (s) s = session_->failure(chunk[static_cast<std::size_t>(i)].sql, nullptr, lost_);
                break;
            }
            const auto st = PQresultStatus(r.get());
            if (s && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                s = session_->failure(chunk[static_cast<std::size_t>(i)].sql, r.get(), lost_);
            }
            while (ResultPtr more{PQgetResult(session_->conn)}) {
            }  // the NULL that ends this command's results
        }
        if (PQstatus(session_->conn) == CONNECTION_OK) {
            for (;;) {
                ResultPtr r(PQgetResult(session_->conn));
                if (!r || PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC) break;
            }
            PQexitPipelineMode(session_->conn);
        } else {
            lost_ = true;
        }
        if (!s) return s;
    }
    return {};
}

Status Connection::send_all(std::span<const Command> commands, int& sent) {
    PGconn* conn = session_->conn;
    if (PQenterPipelineMode(conn) != 1) return session_->failure("pipeline", nullptr, lost_);
    for (const Command& c : commands) {
        const auto& name = session_->prepared.at(std::string(c.sql));
        const auto values = c.params.values();
        const auto lengths = c.params.lengths();
        const auto formats = c.params.formats();
        if (PQsendQueryPrepared(conn, name.c_str(), c.params.size(), values.data(), lengths.data(), formats.data(),
                                kBinaryResults) != 1) {
            (void)PQpipelineSync(conn);
            return session_->failure(c.sql, nullptr, lost_);
        }
        ++sent;
    }
    if (PQpipelineSync(conn) != 1) return session_->failure("pipeline sync", nullptr, lost_);
    return {};
}

Status Connection::transaction(const std::function<Status(Connection&)>& body) {
    std::optional<Clock::time_point> deadline;  // from the first loss
    for (;;) {
        Status s = session_ ? Status{} : Status{make_error(Errc::unavailable, "postgresql: not connected")};
        if (s) s = exec("BEGIN");
        if (s) s = body(*this);
        if (s) s = exec("COMMIT");
        if (s) return {};
        if (session_ && !lost_) {
            (void)exec("ROLLBACK");
            return s;
        }
        if (!deadline) deadline = Clock::now() + retry_.give_up_after;
        if (auto r = reconnect(*deadline, s.error()); !r) return r;
    }
}

}  // namespace twofold::pg
