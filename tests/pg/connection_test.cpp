// The libpq layer against a real private PostgreSQL: typed parameters and columns, errors that
// name the statement but never a value, pipelined batches, transactions that roll back on
// failure and survive a lost connection or a restarted server, and a clear refusal when the
// server answers "no".
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "pg/connection.h"
#include "pg/connection_string.h"
#include "support/postgres.h"

namespace twofold::pg {
namespace {

using namespace std::chrono_literals;
using twofold::testing::fresh_database_url;
using twofold::testing::shared_postgres;

Connection connect(const std::string& url, RetryPolicy retry = {}) {
    auto c = Connection::open(url, std::move(retry));
    EXPECT_TRUE(c) << c.error().message;
    return std::move(*c);
}

std::int64_t count(Connection& c, const char* table) {
    auto rows = c.query(std::string("SELECT count(*) FROM ") + table);
    EXPECT_TRUE(rows) << rows.error().message;
    EXPECT_TRUE(rows->expect({Type::integer}));
    return rows->integer(0, 0);
}

TEST(PgConnection, ParametersAndColumnsKeepTheirTypes) {
    Connection c = connect(fresh_database_url());
    ASSERT_TRUE(c.exec("CREATE TABLE t(i bigint, n integer, s text, b bytea, f boolean)"));
    Bytes every_byte;
    for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<std::uint8_t>(i));
    ASSERT_TRUE(c.query("INSERT INTO t VALUES ($1, $2, $3, $4, $5)",
                        Params().int8(-1234567890123).int8(-7).text("grüße").bytea(every_byte).boolean(true)));
    auto rows = c.query("SELECT i, n, s, b, f FROM t");
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_TRUE(rows->expect({Type::integer, Type::integer, Type::text, Type::bytea, Type::integer}));
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(rows->integer(0, 0), -1234567890123);
    EXPECT_EQ(rows->integer(0, 1), -7);
    EXPECT_EQ(rows->text(0, 2), "grüße");
    EXPECT_EQ(rows->bytes(0, 3), every_byte);
    EXPECT_EQ(rows->integer(0, 4), 1);

    const auto wrong = rows->expect({Type::integer, Type::text, Type::text, Type::bytea, Type::integer});
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("column n is not text"), std::string::npos) << wrong.error().message;
    ASSERT_TRUE(c.query("INSERT INTO t(i) VALUES ($1)", Params().int8(1)));
    auto with_null = c.query("SELECT s FROM t ORDER BY i");
    ASSERT_TRUE(with_null);
    const auto null = with_null->expect({Type::text});
    ASSERT_FALSE(null);
    EXPECT_NE(null.error().message.find("column s is NULL"), std::string::npos) << null.error().message;
}

TEST(PgConnection, ErrorsNameTheStatementNeverAValue) {
    Connection c = connect(fresh_database_url());
    ASSERT_TRUE(c.exec("CREATE TABLE secrets(k bytea PRIMARY KEY, label text UNIQUE)"));
    const Bytes sealed = {0xde, 0xad, 0xbe, 0xef, 0x42};
    const std::string label = "label-that-is-a-secret";
    ASSERT_TRUE(c.query("INSERT INTO secrets VALUES ($1, $2)", Params().bytea(sealed).text(label)));
    auto again = c.query("INSERT INTO secrets VALUES ($1, $2)", Params().bytea(sealed).text(label));
    ASSERT_FALSE(again);
    const std::string& m = again.error().message;
    EXPECT_NE(m.find("INSERT INTO secrets"), std::string::npos) << m;
    EXPECT_NE(m.find("SQLSTATE 23505"), std::string::npos) << m;
    EXPECT_EQ(m.find("deadbeef"), std::string::npos) << m;
    EXPECT_EQ(m.find("\\xdead"), std::string::npos) << m;
    EXPECT_EQ(m.find(label), std::string::npos) << m;
    EXPECT_FALSE(c.lost());
}

TEST(PgConnection, FailedTransactionLeavesNothing) {
    Connection c = connect(fresh_database_url());
    ASSERT_TRUE(c.exec("CREATE TABLE t(v bigint PRIMARY KEY)"));
    const Status s = c.transaction([](Connection& tx) -> Status {
        if (auto r = tx.query("INSERT INTO t VALUES ($1)", Params().int8(1)); !r) return r.error();
        if (auto r = tx.query("INSERT INTO t VALUES ($1)", Params().int8(1)); !r) return r.error();
        return {};
    });
    ASSERT_FALSE(s);
    EXPECT_EQ(count(c, "t"), 0);
    // The session is usable afterwards.
    ASSERT_TRUE(c.transaction([](Connection& tx) -> Status {
        auto r = tx.query("INSERT INTO t VALUES ($1)", Params().int8(2));
        return r ? Status{} : Status{r.error()};
    }));
    EXPECT_EQ(count(c, "t"), 1);
}

TEST(PgConnection, PipelineSendsLongBatchesAndStopsAtTheFirstFailure) {
    Connection c = connect(fresh_database_url());
    ASSERT_TRUE(c.exec("CREATE TABLE t(v bigint PRIMARY KEY)"));
    std::vector<Command> batch;
    for (int i = 0; i < 2000; ++i) batch.push_back({"INSERT INTO t VALUES ($1)", Params().int8(i)});
    ASSERT_TRUE(c.transaction([&](Connection& tx) { return tx.pipeline(batch); }));
    EXPECT_EQ(count(c, "t"), 2000);

    std::vector<Command> failing;
    failing.push_back({"INSERT INTO t VALUES ($1)", Params().int8(5000)});
    failing.push_back({"INSERT INTO t VALUES ($1)", Params().int8(7)});  // already there
    failing.push_back({"INSERT INTO t VALUES ($1)", Params().int8(5001)});
    const Status s = c.transaction([&](Connection& tx) { return tx.pipeline(failing); });
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("SQLSTATE 23505"), std::string::npos) << s.error().message;
    EXPECT_EQ(count(c, "t"), 2000);
}

std::int64_t backend_pid(Connection& c) {
    auto rows = c.query("SELECT pg_backend_pid()");
    EXPECT_TRUE(rows && rows->expect({Type::integer}));
    return rows->integer(0, 0);
}

TEST(PgConnection, TransactionRunsAgainAfterItsSessionIsKilled) {
    const std::string url = fresh_database_url();
    std::atomic<int> retries{0};
    RetryPolicy retry;
    retry.on_retry = [&](const Error&, std::chrono::milliseconds) { ++retries; };
    Connection c = connect(url, retry);
    Connection admin = connect(url);
    ASSERT_TRUE(c.exec("CREATE TABLE t(v bigint PRIMARY KEY)"));
    const std::int64_t before = backend_pid(c);
    ASSERT_TRUE(admin.query("SELECT pg_terminate_backend($1::integer)", Params().int8(before)));
    int runs = 0;
    const Status s = c.transaction([&](Connection& tx) -> Status {
        ++runs;
        auto r = tx.query("INSERT INTO t VALUES ($1) ON CONFLICT DO NOTHING", Params().int8(1));
        return r ? Status{} : Status{r.error()};
    });
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(runs, 1) << "the body ran although BEGIN had already failed";
    EXPECT_NE(backend_pid(c), before);
    EXPECT_EQ(count(c, "t"), 1);

    // Killed in the middle of the body: it runs again from BEGIN.
    runs = 0;
    const Status mid = c.transaction([&](Connection& tx) -> Status {
        if (++runs == 1) (void)admin.query("SELECT pg_terminate_backend($1::integer)", Params().int8(backend_pid(tx)));
        auto r = tx.query("INSERT INTO t VALUES ($1) ON CONFLICT DO NOTHING", Params().int8(2));
        return r ? Status{} : Status{r.error()};
    });
    ASSERT_TRUE(mid) << mid.error().message;
    EXPECT_EQ(runs, 2);
    EXPECT_EQ(count(c, "t"), 2);
}

TEST(PgConnection, TransactionWaitsForARestartedServer) {
    proc::PostgresServer* server = shared_postgres();
    ASSERT_NE(server, nullptr);
    const std::string url = fresh_database_url();
    Connection c = connect(url);
    ASSERT_TRUE(c.exec("CREATE TABLE t(v bigint PRIMARY KEY)"));
    ASSERT_TRUE(server->stop());
    std::thread restart([&] {
        std::this_thread::sleep_for(500ms);
        EXPECT_TRUE(server->start_again());
    });
    const Status s = c.transaction([](Connection& tx) -> Status {
        auto r = tx.query("INSERT INTO t VALUES ($1)", Params().int8(1));
        return r ? Status{} : Status{r.error()};
    });
    restart.join();
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(count(c, "t"), 1);
}

TEST(PgConnection, GivesUpOnAServerThatStaysAway) {
    proc::PostgresServer* server = shared_postgres();
    ASSERT_NE(server, nullptr);
    const std::string url = fresh_database_url();
    RetryPolicy retry;
    retry.give_up_after = 600ms;
    Connection c = connect(url, retry);
    ASSERT_TRUE(server->stop());
    const Status s = c.transaction([](Connection& tx) { return tx.exec("SELECT 1"); });
    ASSERT_TRUE(server->start_again());
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::unavailable);
    EXPECT_NE(s.error().message.find("gave up"), std::string::npos) << s.error().message;
}

TEST(PgConnection, ARefusalIsNotWaitedFor) {
    proc::PostgresServer* server = shared_postgres();
    ASSERT_NE(server, nullptr);
    const auto start = std::chrono::steady_clock::now();
    auto c = Connection::open(server->url("no_such_database"));
    ASSERT_FALSE(c);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_NE(c.error().message.find("no_such_database"), std::string::npos) << c.error().message;
}

TEST(PgConnectionString, NamesTheTargetWithoutThePassword) {
    EXPECT_TRUE(is_postgres_url("postgresql://u@h/db"));
    EXPECT_TRUE(is_postgres_url("postgres://u@h/db"));
    EXPECT_FALSE(is_postgres_url("/var/lib/twofold"));
    EXPECT_EQ(redacted("postgresql://gms:hunter2@db.example:5433/twofold"), "gms@db.example:5433/twofold");
    EXPECT_EQ(redacted("host=/run/pg port=5432 user=gms password=hunter2 dbname=x"), "gms@/run/pg:5432/x");
    const Status bad = check_conninfo("postgresql://gms:hunter2@host/db?nonsense_option=1");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message.find("hunter2"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace twofold::pg
