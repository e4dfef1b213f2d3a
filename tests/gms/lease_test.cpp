// The leadership lease and its fencing token (gms_pg/lease.h) against a real PostgreSQL: one
// holder at a time, a takeover only after expiry, and a commit under a stale token refused
// inside its own transaction, writing nothing (threat model F2).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "gms/store.h"
#include "gms_pg/lease.h"
#include "gms_pg/postgres_store.h"
#include "support/postgres.h"

namespace twofold::gms::testing {
namespace {

using namespace std::chrono_literals;

struct TestDir {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("twofold-lease-" + std::to_string(::getpid()));
    TestDir() { std::filesystem::create_directories(dir); }
    ~TestDir() { std::filesystem::remove_all(dir); }
    const std::filesystem::path& path() const { return dir; }
};

TEST(Lease, OneHolderAtATimeAndAStaleTokenCommitsNothing) {
    const std::string url = twofold::testing::fresh_database_url();
    ASSERT_FALSE(url.empty());
    TestDir dir;
    auto store = PostgresStore::open(url, dir.path());  // migrates: the lease row exists
    ASSERT_TRUE(store.ok()) << store.error().message;

    auto a = Lease::open(url, {}, "a", "127.0.0.1:1", 300ms);
    auto b = Lease::open(url, {}, "b", "127.0.0.1:2", 300ms);
    ASSERT_TRUE(a.ok() && b.ok());
    auto ta = a->try_acquire();
    ASSERT_TRUE(ta.ok() && ta->has_value()) << "a free lease was not taken";
    auto tb = b->try_acquire();
    ASSERT_TRUE(tb.ok());
    EXPECT_FALSE(tb->has_value()) << "a held lease was taken";
    EXPECT_EQ(*b->leader(), "127.0.0.1:1");
    EXPECT_TRUE(*a->renew(**ta));

    // a stops renewing; once the lease has expired, b takes it with a greater token.
    std::optional<std::int64_t> taken;
    for (int i = 0; i < 100 && !taken; ++i) {
        std::this_thread::sleep_for(20ms);
        auto t = b->try_acquire();
        ASSERT_TRUE(t.ok());
        taken = *t;
    }
    ASSERT_TRUE(taken.has_value());
    EXPECT_GT(*taken, **ta);
    EXPECT_FALSE(*a->renew(**ta)) << "the old holder renewed a lease another took";
    EXPECT_EQ(*a->leader(), "127.0.0.1:2");

    // A commit guarded by a's token is refused and writes nothing; under b's it goes in.
    const std::int64_t stale = **ta;
    (*store)->set_commit_guard([stale](pg::Connection& tx) { return Lease::check_token(tx, stale, 1s); });
    Journal j;
    Account acc;
    acc.id = 1;
    acc.name = "alice";
    acc.password_hash = "x";
    j.accounts.push_back(acc);
    const Status refused = (*store)->commit(j);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("fenced"), std::string::npos) << refused.error().message;
    EXPECT_TRUE((*store)->load()->accounts.empty());
    const std::int64_t current = *taken;
    (*store)->set_commit_guard([current](pg::Connection& tx) { return Lease::check_token(tx, current, 1s); });
    ASSERT_TRUE((*store)->commit(j).ok());
    EXPECT_EQ((*store)->load()->accounts.size(), 1u);

    // A release lets another take it at once.
    ASSERT_TRUE(b->release(current).ok());
    auto again = a->try_acquire();
    ASSERT_TRUE(again.ok() && again->has_value());
    EXPECT_GT(**again, current);
}

}  // namespace
}  // namespace twofold::gms::testing
