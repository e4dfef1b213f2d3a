#include "store/database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace twofold::store {
namespace {

class DatabaseTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("twofold-store-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

const std::vector<Migration> kV1 = {{1, "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB NOT NULL, s TEXT);"}};
const std::vector<Migration> kV2 = {kV1[0], {2, "ALTER TABLE t ADD COLUMN extra INTEGER NOT NULL DEFAULT 7;"}};

TEST_F(DatabaseTest, MigratesOnceAndInOrder) {
    {
        auto db = Database::open(dir_ / "a.db", kV1);
        ASSERT_TRUE(db.ok()) << db.error().message;
        EXPECT_EQ(db->schema_version(), 1);
    }
    auto db = Database::open(dir_ / "a.db", kV2);
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_EQ(db->schema_version(), 2);
    auto st = db->prepare("SELECT extra FROM t");
    EXPECT_TRUE(st.ok());
}

TEST_F(DatabaseTest, RefusesASchemaFromTheFuture) {
    { ASSERT_TRUE(Database::open(dir_ / "a.db", kV2).ok()); }
    auto db = Database::open(dir_ / "a.db", kV1);
    ASSERT_FALSE(db.ok());
    EXPECT_NE(db.error().message.find("newer"), std::string::npos);
}

TEST_F(DatabaseTest, FailedMigrationLeavesTheOldSchema) {
    { ASSERT_TRUE(Database::open(dir_ / "a.db", kV1).ok()); }
    const std::vector<Migration> broken = {kV1[0], {2, "CREATE TABLE u(x); THIS IS NOT SQL;"}};
    EXPECT_FALSE(Database::open(dir_ / "a.db", broken).ok());
    auto db = Database::open(dir_ / "a.db", kV1);
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(db->schema_version(), 1);
    EXPECT_FALSE(db->prepare("SELECT * FROM u").ok());
}

TEST_F(DatabaseTest, BindsAndReadsEveryType) {
    auto db = Database::open(dir_ / "a.db", kV1);
    ASSERT_TRUE(db.ok());
    auto ins = db->prepare("INSERT INTO t(k, v, s) VALUES (?1, ?2, ?3)");
    ASSERT_TRUE(ins.ok());
    const Bytes blob = {0, 1, 2, 0, 255};
    ASSERT_TRUE(ins->bind(1, std::int64_t{42}).bind(2, blob).bind(3, std::string_view("héllo")).run().ok());
    ASSERT_TRUE(ins->bind(1, std::int64_t{43}).bind(2, ByteView{}).bind_null(3).run().ok());
    auto sel = db->prepare("SELECT k, v, s FROM t ORDER BY k");
    ASSERT_TRUE(sel.ok());
    ASSERT_TRUE(*sel->step());
    EXPECT_EQ(sel->column_int(0), 42);
    EXPECT_EQ(sel->column_blob(1), blob);
    EXPECT_EQ(sel->column_text(2), "héllo");
    ASSERT_TRUE(*sel->step());
    EXPECT_TRUE(sel->column_blob(1).empty());
    EXPECT_FALSE(sel->column_is_null(1));  // an empty blob is not NULL (the column is NOT NULL)
    EXPECT_TRUE(sel->column_is_null(2));
    EXPECT_FALSE(*sel->step());
}

TEST_F(DatabaseTest, RollbackDiscardsAndErrorsNameTheStatement) {
    auto db = Database::open(dir_ / "a.db", kV1);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->begin().ok());
    EXPECT_TRUE(db->in_transaction());
    ASSERT_TRUE(db->exec("INSERT INTO t(k, v) VALUES (1, x'00')").ok());
    ASSERT_TRUE(db->rollback().ok());
    auto count = db->prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(*count->step());
    EXPECT_EQ(count->column_int(0), 0);
    const Status dup = db->exec("INSERT INTO t(k, v) VALUES (1, NULL)");
    ASSERT_FALSE(dup.ok());
    EXPECT_NE(dup.error().message.find("NOT NULL"), std::string::npos);
}

TEST_F(DatabaseTest, UsesWalAndFullSync) {
    auto db = Database::open(dir_ / "a.db", kV1);
    ASSERT_TRUE(db.ok());
    auto mode = db->prepare("PRAGMA journal_mode");
    ASSERT_TRUE(*mode->step());
    EXPECT_EQ(mode->column_text(0), "wal");
    auto sync = db->prepare("PRAGMA synchronous");
    ASSERT_TRUE(*sync->step());
    EXPECT_EQ(sync->column_int(0), 2);  // FULL
}

TEST_F(DatabaseTest, GarbageFileIsAClearError) {
    {
        FILE* f = std::fopen((dir_ / "junk.db").c_str(), "wb");
        std::fputs("this is not a database, not even close, but it is long enough to have a header....", f);
        std::fclose(f);
    }
    auto db = Database::open(dir_ / "junk.db", kV1);
    ASSERT_FALSE(db.ok());
    EXPECT_NE(db.error().message.find("storage"), std::string::npos);
}

}  // namespace
}  // namespace twofold::store
