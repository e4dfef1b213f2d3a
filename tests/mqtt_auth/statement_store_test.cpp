// The plugin's state file: statements and epochs saved, read back after a reopen, an epoch
// never lowered; and the policy restored from them refuses what it refused before the restart.
#include "mqtt_auth/statement_store.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "mqtt_auth/access_policy.h"
#include "mqtt_auth/topics.h"
#include "statements.h"

namespace twofold::mqtt_auth {
namespace {

using namespace testing;  // statements.h: group_id, key_of, signed_statement

constexpr std::uint64_t kGraceMs = 1000;
constexpr std::uint64_t kNowS = 1'900'000'000, kNow = kNowS * 1000;

class StatementStoreTest : public ::testing::Test {
  protected:
    void TearDown() override { std::filesystem::remove_all(dir); }
    StatementStore open() {
        auto s = StatementStore::open(dir / "state.db");
        EXPECT_TRUE(s.ok());
        return std::move(*s);
    }
    std::filesystem::path dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("twofold-statement-store-" + std::to_string(::getpid()));
        std::filesystem::remove_all(d);
        std::filesystem::create_directories(d);
        return d;
    }();
    crypto::SigningKey gms = crypto::SigningKey::generate();
    std::string alice = key_of(crypto::SigningKey::generate()), bob = key_of(crypto::SigningKey::generate());
    std::string group = group_id('g');
};

TEST_F(StatementStoreTest, SavedStatementsAndEpochsSurviveAReopenAndEpochsNeverGoDown) {
    {
        auto store = open();
        ASSERT_TRUE(store.save({alice, group, "statement 3"}, {{group, 3, kNow}}));
        ASSERT_TRUE(store.save({alice, group, "statement 4"}, {{group, 4, kNow + 5}}));
        ASSERT_TRUE(store.save_epochs({{group, 2, kNow + 9}}));  // an older epoch does not replace 4
        ASSERT_TRUE(store.save({bob, group, "bob's"}, {}));
        ASSERT_TRUE(store.forget(bob, group));
    }
    auto store = open();
    auto epochs = store.epochs();
    ASSERT_TRUE(epochs.ok());
    ASSERT_EQ(epochs->size(), 1u);
    EXPECT_EQ((*epochs)[0].epoch, 4u);
    EXPECT_EQ((*epochs)[0].first_seen_ms, kNow + 5);
    auto statements = store.statements();
    ASSERT_TRUE(statements.ok());
    ASSERT_EQ(statements->size(), 1u);
    EXPECT_EQ((*statements)[0].member, alice);
    EXPECT_EQ((*statements)[0].statement, "statement 4");
}

TEST_F(StatementStoreTest, APolicyRestoredFromItKeepsTheEpochAndItsGrace) {
    AccessPolicy before(gms.public_key(), kGraceMs);
    auto store = open();
    for (const auto& [who, epoch] : {std::pair{alice, 3u}, std::pair{bob, 4u}}) {
        const auto statement = signed_statement(gms, group, who, epoch, kNowS + 3600);
        Recorded recorded;
        ASSERT_TRUE(before.present_statement(group, statement, kNow, &recorded));
        EXPECT_TRUE(recorded.statement_changed);
        ASSERT_TRUE(store.save({who, group, statement}, recorded.raised));
    }
    // Presenting the same statement again changes nothing: nothing to write.
    Recorded again;
    ASSERT_TRUE(before.present_statement(group, signed_statement(gms, group, bob, 4, kNowS + 3600), kNow, &again));
    EXPECT_FALSE(again.statement_changed);
    EXPECT_TRUE(again.raised.empty());

    // After the grace, a restored policy refuses alice's epoch 3 as the old one did; bob is known.
    const std::uint64_t after_grace = kNow + kGraceMs;
    AccessPolicy after(gms.public_key(), kGraceMs);
    const auto epochs = store.epochs();
    ASSERT_TRUE(epochs.ok());
    after.load_epochs(*epochs);
    const auto saved = store.statements();
    ASSERT_TRUE(saved.ok());
    for (const auto& s : *saved) (void)after.restore_statement(s.group, s.statement, after_grace);
    EXPECT_TRUE(after.may_receive(bob, group_topic(group), std::nullopt, after_grace));
    EXPECT_FALSE(after.may_receive(alice, group_topic(group), std::nullopt, after_grace));
    EXPECT_FALSE(after.present_statement(group, signed_statement(gms, group, alice, 3, kNowS + 3600), after_grace));
}

TEST_F(StatementStoreTest, SubscriptionsAreKeptOnceEach) {
    auto store = open();
    ASSERT_TRUE(store.save_subscription(alice, group));
    ASSERT_TRUE(store.save_subscription(alice, group));
    ASSERT_TRUE(store.save_subscription(bob, group));
    auto subscribed = store.subscriptions();
    ASSERT_TRUE(subscribed.ok());
    EXPECT_EQ(subscribed->size(), 2u);
    AccessPolicy policy(gms.public_key(), kGraceMs);
    ASSERT_TRUE(policy.present_statement(group, signed_statement(gms, group, alice, 3, kNowS + 3600), kNow));
    EXPECT_EQ(policy.awaiting_subscription(group, 3, kNow).size(), 1u) << "alice's session has not subscribed";
    policy.load_subscriptions(*subscribed);
    EXPECT_TRUE(policy.awaiting_subscription(group, 3, kNow).empty()) << "restored: it had";
}

}  // namespace
}  // namespace twofold::mqtt_auth
