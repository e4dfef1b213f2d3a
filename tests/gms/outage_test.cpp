// The GMS on PostgreSQL while its database is away: a change made then is not answered until its
// commit is in the database (the commit is retried with backoff, not dropped and not answered
// early); once the server is back the answer comes and the change survives a GMS restart.
#include <atomic>
#include <thread>

#include "gms_fixture.h"

namespace twofold::gms::testing {
namespace {

class GmsDatabaseOutage : public GmsFixture {};
INSTANTIATE_TEST_SUITE_P(Stores, GmsDatabaseOutage, ::testing::Values(StoreKind::postgresql), store_name);

TEST_P(GmsDatabaseOutage, AChangeIsAnsweredOnlyOnceItsCommitIsIn) {
    proc::PostgresServer* db = twofold::testing::shared_postgres();
    ASSERT_NE(db, nullptr);
    Member alice = member("alice");
    member("bob");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(alice.client->create_group(gid, {}).ok());

    ASSERT_TRUE(db->stop());
    std::atomic<bool> answered{false};
    Result<std::uint64_t> added = make_error(Errc::internal, "not run");
    std::thread change([&] {
        added = alice.client->add_member(gid, "bob", false, false);
        answered = true;
    });
    std::this_thread::sleep_for(1500ms);
    EXPECT_FALSE(answered) << "answered while the database was down";
    ASSERT_TRUE(db->start_again());
    change.join();
    ASSERT_TRUE(added.ok()) << added.error().message;

    stop();
    port_ = 0;  // the old port may still be held by the connections of the first run
    start();
    Member carol = member("carol");
    auto again = connect();
    ASSERT_TRUE(again->login("alice", "password-alice").ok());
    auto members = again->list_members(gid);
    ASSERT_TRUE(members.ok()) << members.error().message;
    EXPECT_EQ(members->size(), 2u) << "bob's addition was answered but not kept";
}

}  // namespace
}  // namespace twofold::gms::testing
