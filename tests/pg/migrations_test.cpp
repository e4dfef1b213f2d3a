// Schema migrations on PostgreSQL: applied once each and in order, also by two processes at once,
// and a database of a newer schema refused with both versions named.
#include <gtest/gtest.h>

#include <thread>

#include "pg/migrations.h"
#include "support/postgres.h"

namespace twofold::pg {
namespace {

using twofold::testing::fresh_database_url;

const std::vector<Migration> kTwo = {
    {1, "CREATE TABLE a(v bigint)"},
    {2, "ALTER TABLE a ADD COLUMN w bigint; INSERT INTO a VALUES (1, 2)"},
};

TEST(PgMigrations, AppliesEachOnceInOrder) {
    const std::string url = fresh_database_url();
    auto c = Connection::open(url);
    ASSERT_TRUE(c) << c.error().message;
    auto fresh = schema_version(*c, "test");
    ASSERT_TRUE(fresh) << fresh.error().message;
    EXPECT_EQ(*fresh, 0);
    ASSERT_TRUE(migrate(*c, "test", {kTwo[0]}));
    EXPECT_EQ(*schema_version(*c, "test"), 1);
    ASSERT_TRUE(migrate(*c, "test", kTwo));
    ASSERT_TRUE(migrate(*c, "test", kTwo));  // nothing left to do
    EXPECT_EQ(*schema_version(*c, "test"), 2);
    auto rows = c->query("SELECT count(*) FROM a");
    ASSERT_TRUE(rows && rows->expect({Type::integer}));
    EXPECT_EQ(rows->integer(0, 0), 1);
}

TEST(PgMigrations, TwoProcessesAtOnceApplyEachOnce) {
    const std::string url = fresh_database_url();
    Status first, second;
    std::thread a([&] {
        auto c = Connection::open(url);
        first = c ? migrate(*c, "test", kTwo) : Status{c.error()};
    });
    std::thread b([&] {
        auto c = Connection::open(url);
        second = c ? migrate(*c, "test", kTwo) : Status{c.error()};
    });
    a.join();
    b.join();
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(second) << second.error().message;
    auto c = Connection::open(url);
    auto rows = c->query("SELECT count(*) FROM a");
    ASSERT_TRUE(rows && rows->expect({Type::integer}));
    EXPECT_EQ(rows->integer(0, 0), 1);
}

TEST(PgMigrations, RefusesANewerSchemaNamingBothVersions) {
    const std::string url = fresh_database_url();
    auto c = Connection::open(url);
    ASSERT_TRUE(c);
    ASSERT_TRUE(migrate(*c, "test", kTwo));
    const Status s = migrate(*c, "test", {kTwo[0]});
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("schema version 2 is newer than this program knows (1)"), std::string::npos)
        << s.error().message;
}

}  // namespace
}  // namespace twofold::pg
