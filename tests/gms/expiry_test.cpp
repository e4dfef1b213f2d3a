// Memberships that expire (issue 14, time-driven LKH), driven with a fake clock: the core takes
// the time as input, so many members and many expiries run in milliseconds, with a restart of
// the GMS (its store reopened, a new core from what it loads) in between, on every store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/validity.h"
#include "core_fixture.h"
#include "gms/expiry.h"
#include "gms_server/open_store.h"
#include "member_keys.h"
#include "stores.h"
#include "wire/statement.h"

namespace twofold::gms::testing {
namespace {

constexpr std::uint64_t kStart = kStartMs / 1000;  // unix seconds
constexpr std::uint32_t kMaxValidity = 3600;

// The core on a real store: each batch's journal committed, a restart reopens the store.
class GmsExpiry : public GmsCoreRecent, public ::testing::WithParamInterface<StoreKind> {
  protected:
    void SetUp() override {
        url_ = new_store(GetParam());
        if (GetParam() == StoreKind::postgresql) {
            ASSERT_FALSE(url_.empty());
        }
        ASSERT_NO_FATAL_FAILURE(open_store());
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open_store() {
        store_.reset();
        std::filesystem::create_directories(dir_);
        auto opened = gms::open_store(url_, dir_);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        store_ = std::move(*opened);
    }
    void commit() { ASSERT_TRUE(store_->commit(core_->take_journal()).ok()); }
    void restart() {
        ASSERT_NO_FATAL_FAILURE(commit());
        ASSERT_NO_FATAL_FAILURE(open_store());
        auto state = store_->load();
        ASSERT_TRUE(state.ok()) << state.error().message;
        start(std::move(*state));
    }

    void create_limited_group(const Peer& founder) {
        v1::GmsRequest r;
        r.mutable_create_group()->set_group_id(gid_);
        r.mutable_create_group()->mutable_policy()->set_rn2_interval_seconds(kIntervalSeconds);
        r.mutable_create_group()->mutable_policy()->set_rn1_interval_seconds(86400);
        r.mutable_create_group()->mutable_policy()->set_max_validity_seconds(kMaxValidity);
        ASSERT_TRUE(ask(founder, r).has_group());
    }
    v1::GmsResponse add_until(const Peer& by, const std::string& account, std::uint64_t until) {
        v1::GmsRequest r = notification(v1::MemberNotification::CHANGE_ADD, account);
        r.mutable_member_notification()->set_valid_until_unix(until);
        return ask(by, r);
    }
    v1::GmsResponse extend(const Peer& by, const std::string& account, std::uint64_t until) {
        v1::GmsRequest r;
        r.mutable_extend_validity()->set_group_id(gid_);
        r.mutable_extend_validity()->set_account(account);
        r.mutable_extend_validity()->set_valid_until_unix(until);
        return ask(by, r);
    }
    // One batch at `at_ms`, as the server's alarm makes it; the signed rekeys it published.
    std::vector<v1::SignedRekey> batch_at(std::uint64_t at_ms) {
        now_ = at_ms;
        std::vector<Outgoing> out;
        core_->end_batch(now_, out);
        std::vector<v1::SignedRekey> rekeys;
        for (const auto& bytes : core_->take_publications()) {
            v1::SignedRekey r;
            EXPECT_TRUE(r.ParseFromArray(bytes->data(), static_cast<int>(bytes->size())));
            rekeys.push_back(std::move(r));
        }
        return rekeys;
    }
    std::set<std::string> members() const {
        std::set<std::string> out;
        for (const auto& [aid, m] : core_->group(group_id())->members) out.insert(names_.at(aid));
        return out;
    }

    std::filesystem::path dir_ =
        std::filesystem::temp_directory_path() / ("twofold-gms-expiry-" + std::to_string(::getpid()));
    std::string url_;
    std::unique_ptr<Store> store_;
    std::map<AccountId, std::string> names_;
};
TWOFOLD_ON_EVERY_STORE(GmsExpiry);

// 30 members expiring at three times: each second's expiries leave in one LKH batch (one signed
// rekey whose events name them all), on time and not before; a GMS down across the second
// expiry removes those members at its first batch after the restart; the validities survive it.
TEST_P(GmsExpiry, ManyExpiriesLeaveOnTimeInOneBatchEachAcrossARestart) {
    Peer alice = account("alice");
    create_limited_group(alice);
    names_[1] = "alice";
    const std::uint64_t ends[3] = {kStart + 60, kStart + 120, kStart + 600};
    std::map<std::uint64_t, std::set<std::string>> by_end;
    std::vector<Peer> peers;
    for (int i = 0; i < 30; ++i) {
        const std::string name = "m" + std::to_string(i);
        peers.push_back(account(name));
        names_[static_cast<AccountId>(i + 2)] = name;
        const std::uint64_t end = ends[i % 3];
        by_end[end].insert(name);
        const auto answer = add_until(alice, name, end);
        ASSERT_TRUE(answer.has_epoch()) << answer.error().message();
    }
    (void)core_->take_publications();
    ASSERT_EQ(members().size(), 31u);
    ASSERT_EQ(core_->next_expiry(), ends[0]) << "the server's alarm is set to the first expiry";
    const std::uint64_t epoch_before = core_->group(group_id())->membership_epoch;

    // A member that expires keeps its key path until then: a welcome of the expiring epoch.
    auto expiring = open_welcome(inquire(peers[0]), peers[0].identity);
    ASSERT_TRUE(expiring.ok()) << expiring.error().message;

    EXPECT_TRUE(batch_at(ends[0] * 1000 - 1).empty()) << "nobody leaves before the validity ends";
    EXPECT_EQ(members().size(), 31u);
    auto rekeys = batch_at(ends[0] * 1000);
    ASSERT_EQ(rekeys.size(), 1u) << "one rekey for the whole second's expiries";
    std::set<std::string> left;
    for (const auto& e : rekeys[0].rekey().events()) {
        EXPECT_EQ(e.change(), v1::MemberNotification::CHANGE_REMOVE) << "an expiry rekeys exactly like a removal";
        left.insert(e.account());
    }
    EXPECT_EQ(left, by_end[ends[0]]);
    EXPECT_EQ(core_->group(group_id())->membership_epoch, epoch_before + 1);
    EXPECT_EQ(members().size(), 21u);
    EXPECT_FALSE(expiring->apply(as_bytes(rekeys[0].rekey().lkh_message())).ok())
        << "an expired member cannot follow the rekey that removed it (forward secrecy)";
    EXPECT_EQ(core_->next_expiry(), ends[1]);

    // Down from before the second expiry until after it: removed at the first batch after start.
    ASSERT_NO_FATAL_FAILURE(restart());
    EXPECT_EQ(core_->next_expiry(), ends[1]) << "validities are stored";
    EXPECT_EQ(members().size(), 21u);
    rekeys = batch_at((ends[1] + 100) * 1000);
    ASSERT_FALSE(rekeys.empty());
    left.clear();
    for (const auto& r : rekeys) {
        for (const auto& e : r.rekey().events()) left.insert(e.account());
    }
    EXPECT_EQ(left, by_end[ends[1]]);
    EXPECT_EQ(members().size(), 11u);

    ASSERT_NO_FATAL_FAILURE(restart());
    for (const auto& r : batch_at(ends[2] * 1000 - 500)) {  // a restart's first batch renews RN2 only
        EXPECT_EQ(r.rekey().events_size(), 0) << "nobody leaves before the validity ends";
    }
    EXPECT_EQ(members().size(), 11u);
    rekeys = batch_at(ends[2] * 1000 + 10);
    ASSERT_EQ(rekeys.size(), 1u);
    EXPECT_EQ(rekeys[0].rekey().events_size(), 10);
    EXPECT_EQ(members(), std::set<std::string>{"alice"});
    EXPECT_FALSE(core_->next_expiry().has_value()) << "the founder's membership does not expire";
    ASSERT_NO_FATAL_FAILURE(restart());
    EXPECT_EQ(members(), std::set<std::string>{"alice"}) << "the removals were committed";
}

// The group's max validity bounds invitations: beyond it refused naming the limit; none asked
// for gives the maximum; the statement carries the validity (signed: field 9 is in the bytes).
TEST_P(GmsExpiry, ValidityIsWithinPolicyAndSignedIntoStatements) {
    Peer alice = account("alice");
    Peer bob = account("bob");
    account("carol");
    create_limited_group(alice);
    const auto refused = add_until(alice, "bob", kStart + 2 * kMaxValidity);
    ASSERT_TRUE(refused.has_error());
    EXPECT_EQ(refused.error().code(), v1::ERROR_CODE_FORBIDDEN);
    EXPECT_NE(refused.error().message().find("exceeds the group's max validity of 1h"), std::string::npos)
        << refused.error().message();
    const auto past = add_until(alice, "bob", kStart - 1);
    ASSERT_TRUE(past.has_error());
    EXPECT_NE(past.error().message().find("is not in the future"), std::string::npos) << past.error().message();

    ASSERT_TRUE(add_until(alice, "bob", kStart + 90 * 60 / 2).has_epoch());
    ASSERT_TRUE(add_until(alice, "carol", 0).has_epoch());
    v1::GmsRequest list;
    list.mutable_list_members()->set_group_id(gid_);
    const auto answer = ask(alice, list);
    ASSERT_TRUE(answer.has_members());
    std::map<std::string, v1::MembershipStatement> by_name;
    for (const auto& s : answer.members().members()) by_name[s.account()] = s;
    EXPECT_EQ(by_name["alice"].valid_until(), 0u);
    EXPECT_EQ(by_name["bob"].valid_until(), kStart + 45 * 60);
    EXPECT_EQ(by_name["carol"].valid_until(), kStart + kMaxValidity) << "no validity asked: the group's maximum";
    EXPECT_LE(by_name["bob"].expires_unix(), by_name["bob"].valid_until()) << "a statement never outlives it";

    const auto gms_key = core_->signing_public_key();
    v1::MembershipStatement st = by_name["bob"];
    EXPECT_TRUE(wire::verify_statement(st, gms_key, kStart).ok());
    const auto expired = wire::verify_statement(st, gms_key, kStart + 45 * 60);
    ASSERT_FALSE(expired.ok());
    EXPECT_EQ(expired.error().message, "membership of bob expired at " + validity::format_utc_time(kStart + 45 * 60));
    st.set_valid_until(st.valid_until() + 3600);
    EXPECT_FALSE(wire::verify_statement(st, gms_key, kStart).ok()) << "valid_until is covered by the signature";

    EXPECT_EQ(log_in(bob).groups(0).valid_until_unix(), kStart + 45 * 60) << "the member learns its own validity";
}

// extend: only a member with may_invite, never its own, within the policy; the expiry moves.
TEST_P(GmsExpiry, ExtendNeedsMayInviteAndMovesTheExpiry) {
    Peer alice = account("alice");
    Peer bob = account("bob");
    account("carol");
    create_limited_group(alice);
    ASSERT_TRUE(add_until(alice, "bob", kStart + 600).has_epoch());
    ASSERT_TRUE(add_until(alice, "carol", kStart + 300).has_epoch());
    (void)core_->take_publications();

    auto r = extend(bob, "carol", kStart + 900);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code(), v1::ERROR_CODE_FORBIDDEN);
    EXPECT_EQ(r.error().message(), "missing right: may_invite");
    r = extend(alice, "alice", kStart + 900);
    ASSERT_TRUE(r.has_error());
    EXPECT_NE(r.error().message().find("your own membership"), std::string::npos);
    r = extend(alice, "carol", kStart + kMaxValidity + 1);
    ASSERT_TRUE(r.has_error());
    EXPECT_NE(r.error().message().find("max validity of 1h"), std::string::npos) << r.error().message();
    r = extend(alice, "dave", kStart + 900);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code(), v1::ERROR_CODE_UNKNOWN_MEMBER);

    r = extend(alice, "carol", kStart + 900);
    ASSERT_TRUE(r.has_valid_until_unix()) << r.error().message();
    EXPECT_EQ(r.valid_until_unix(), kStart + 900);
    EXPECT_EQ(core_->next_expiry(), kStart + 600) << "bob is now first";
    EXPECT_TRUE(batch_at((kStart + 300) * 1000).empty()) << "carol's old end passes without a removal";
    ASSERT_NO_FATAL_FAILURE(restart());
    EXPECT_EQ(core_->group(group_id())->members.size(), 3u);
    EXPECT_EQ(batch_at((kStart + 900) * 1000).size(), 1u) << "bob and carol, overdue together: one batch";
    EXPECT_EQ(core_->group(group_id())->members.size(), 1u);
}

TEST(ExpirySchedule, DueInOrderAndMovable) {
    ExpirySchedule s;
    GroupId a{}, b{};
    b[0] = 1;
    s.set(a, 1, 50);
    s.set(a, 2, 40);
    s.set(b, 3, 40);
    s.set(a, 1, 30);  // moved earlier
    EXPECT_EQ(s.next_due(), 30u);
    EXPECT_TRUE(s.take_due(29).empty());
    EXPECT_EQ(s.take_due(30).size(), 1u);
    s.forget_group(b);
    const auto due = s.take_due(1000);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].second, 2u);
    EXPECT_FALSE(s.next_due().has_value());
}

TEST(ValidityText, DurationsAndUtcTimes) {
    EXPECT_EQ(*validity::parse_duration("90m"), 5400u);
    EXPECT_EQ(*validity::parse_duration("1h30m"), 5400u);
    EXPECT_EQ(*validity::parse_duration("3s"), 3u);
    EXPECT_EQ(*validity::parse_duration("2d"), 172800u);
    for (const char* bad : {"", "90", "m", "1x", "0s", "-1h", "1h 2m"}) {
        EXPECT_FALSE(validity::parse_duration(bad).ok()) << bad;
    }
    EXPECT_EQ(*validity::parse_utc_time("2027-01-31T18:00Z"), 1801418400u);
    EXPECT_EQ(*validity::parse_utc_time("1970-01-01T00:00:01Z"), 1u);
    EXPECT_EQ(*validity::parse_utc_time("2028-02-29T00:00Z"), 1835395200u);
    for (const char* bad : {"2027-01-31T18:00", "2027-01-31 18:00Z", "2027-02-29T00:00Z", "2027-13-01T00:00Z",
                            "2027-01-31T24:00Z", "2027-01-31T18:00+01:00"}) {
        EXPECT_FALSE(validity::parse_utc_time(bad).ok()) << bad;
    }
    EXPECT_EQ(validity::format_utc_time(1801418400), "2027-01-31 18:00:00 UTC");
    EXPECT_EQ(validity::format_duration(5400), "1h30m");
    const auto over = validity::check_validity(1000 + 7201, 1000, 7200);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.error().message, "validity of 2h1s exceeds the group's max validity of 2h");
}

}  // namespace
}  // namespace twofold::gms::testing
