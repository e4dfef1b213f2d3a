// The relay's pure logic with an in-memory store: authentication, statements and epochs,
// group commit, fan-out, limits and the delivery window. No sockets, clocks or disks.
#include <gtest/gtest.h>

#include "harness.h"
#include "memory_store.h"
#include "relay/core.h"
#include "wire/message.h"
#include "wire/signed_rekey.h"

namespace twofold::relay {
namespace {

using testing::FakeGms;
using testing::group_id_for;
using testing::key_of;
using testing::MemoryStore;

constexpr std::uint64_t kNowMs = 1'800'000'000'000;  // 2027
constexpr std::uint64_t kExpires = kNowMs / 1000 + testing::kHourSeconds;
const std::string kFingerprint = "sha256:" + std::string(64, 'a');

class CoreTest : public ::testing::Test {
  protected:
    explicit CoreTest(Config config = small_window()) : core_(config, gms_.key.public_key(), kFingerprint, store_) {
        EXPECT_TRUE(core_.load().ok());
    }
    static Config small_window() {
        Config c;
        c.delivery_window = 4;
        c.grace_ms = 1000;
        c.sends_per_second = 10;
        c.send_burst = 20;
        c.max_envelope_bytes = 1000;
        return c;
    }

    // Connects and authenticates; returns the connection id.
    ConnId join(const crypto::SigningKey& member) {
        const ConnId id = next_++;
        std::vector<Outgoing> out;
        const Challenge challenge = crypto::random_array<kChallengeBytes>();
        core_.connected(id, challenge, out);
        v1::RelayRequest r;
        r.set_request_id(1);
        r.mutable_auth()->set_identity_key(key_of(member));
        const auto sig = sign_auth(member, challenge, kFingerprint);
        r.mutable_auth()->set_signature(sig.data(), sig.size());
        auto answer = ask(id, r);
        EXPECT_TRUE(answer.has_ok()) << answer.error().message();
        return id;
    }

    // Handles one request and returns the first answer to it (now or after the batch).
    v1::RelayResponse ask(ConnId id, const v1::RelayRequest& r, std::uint64_t now = kNowMs) {
        const std::string bytes = r.SerializeAsString();
        std::vector<Outgoing> out;
        core_.handle(id, as_bytes(bytes), now, out);
        EXPECT_TRUE(core_.end_batch(now, out).ok());
        collect(out);
        for (auto it = answers_[id].begin(); it != answers_[id].end(); ++it) {
            if (it->request_id() == r.request_id()) {
                auto a = *it;
                answers_[id].erase(it);
                return a;
            }
        }
        ADD_FAILURE() << "no answer";
        return {};
    }

    void collect(const std::vector<Outgoing>& out) {
        for (const auto& o : out) {
            auto r = wire::parse_message<v1::RelayResponse>(as_bytes(*o.payload));
            ASSERT_TRUE(r.ok());
            if (r->has_envelope()) {
                inbox_[o.to].push_back(r->envelope());
            } else {
                answers_[o.to].push_back(*r);
            }
        }
    }

    v1::RelayRequest publish(const std::string& group, const v1::MembershipStatement& st, const std::string& payload) {
        v1::RelayRequest r;
        r.set_request_id(++request_);
        auto* e = r.mutable_publish()->mutable_envelope();
        e->set_type(v1::ENVELOPE_TYPE_GROUP_MESSAGE);
        e->set_group_id(group);
        e->set_payload(payload);
        *r.mutable_publish()->mutable_statement() = st;
        return r;
    }
    v1::RelayRequest subscribe(const std::string& group, const v1::MembershipStatement& st) {
        v1::RelayRequest r;
        r.set_request_id(++request_);
        r.mutable_subscribe()->set_group_id(group);
        *r.mutable_subscribe()->mutable_statement() = st;
        return r;
    }
    v1::RelayRequest send_to(const crypto::SigningKey& to, const std::string& payload) {
        v1::RelayRequest r;
        r.set_request_id(++request_);
        r.mutable_send()->mutable_envelope()->set_type(v1::ENVELOPE_TYPE_INVITATION);
        r.mutable_send()->mutable_envelope()->set_recipient_key(key_of(to));
        r.mutable_send()->mutable_envelope()->set_payload(payload);
        return r;
    }
    void ack(ConnId id, std::vector<std::uint64_t> ids) {
        v1::RelayRequest r;
        r.set_request_id(++request_);
        for (auto i : ids) r.mutable_ack()->add_ids(i);
        std::vector<Outgoing> out;
        core_.handle(id, as_bytes(r.SerializeAsString()), kNowMs, out);
        EXPECT_TRUE(core_.end_batch(kNowMs, out).ok());
        collect(out);
    }

    // A statement of `epoch` for a membership that began at `since`.
    v1::MembershipStatement member_of(const crypto::SigningKey& key, std::uint64_t epoch, std::uint64_t since) {
        return gms_.statement(group_, key, epoch, kExpires, since);
    }
    std::vector<std::string> payloads(ConnId id) {
        std::vector<std::string> out;
        for (const auto& e : inbox_[id]) out.push_back(e.payload());
        return out;
    }
    void ack_all(ConnId id) {
        std::vector<std::uint64_t> ids;
        for (const auto& e : inbox_[id]) ids.push_back(e.id());
        ack(id, ids);
    }

    FakeGms gms_;
    MemoryStore store_;
    RelayCore core_;
    ConnId next_ = 1;
    std::uint64_t request_ = 100;
    std::map<ConnId, std::vector<v1::RelayResponse>> answers_;
    std::map<ConnId, std::vector<v1::Envelope>> inbox_;
    crypto::SigningKey alice_ = crypto::SigningKey::generate();
    crypto::SigningKey bob_ = crypto::SigningKey::generate();
    crypto::SigningKey carol_ = crypto::SigningKey::generate();
    crypto::SigningKey dave_ = crypto::SigningKey::generate();
    const std::string group_ = group_id_for(7);
};

TEST_F(CoreTest, EverythingBeforeAuthenticationIsRefused) {
    std::vector<Outgoing> out;
    core_.connected(1, crypto::random_array<kChallengeBytes>(), out);
    ASSERT_EQ(out.size(), 1u);  // the challenge
    auto answer = ask(1, send_to(bob_, "x"));
    ASSERT_TRUE(answer.has_error());
    EXPECT_EQ(answer.error().code(), v1::ERROR_CODE_UNAUTHENTICATED);
    EXPECT_EQ(store_.writes, 0);
}

TEST_F(CoreTest, AuthIsBoundToTheChallengeAndTheRelay) {
    std::vector<Outgoing> out;
    const Challenge challenge = crypto::random_array<kChallengeBytes>();
    core_.connected(1, challenge, out);
    v1::RelayRequest r;
    r.set_request_id(1);
    r.mutable_auth()->set_identity_key(key_of(alice_));
    const auto other_relay = sign_auth(alice_, challenge, "sha256:" + std::string(64, 'b'));
    r.mutable_auth()->set_signature(other_relay.data(), other_relay.size());
    auto answer = ask(1, r);
    ASSERT_TRUE(answer.has_error());
    EXPECT_EQ(answer.error().code(), v1::ERROR_CODE_UNAUTHENTICATED);
    EXPECT_NE(answer.error().message().find("signature"), std::string::npos);
}

TEST_F(CoreTest, MailboxEnvelopeIsAcknowledgedAndDeliveredOnlyAfterCommit) {
    const ConnId a = join(alice_);
    const ConnId b = join(bob_);
    std::vector<Outgoing> out;
    core_.handle(a, as_bytes(send_to(bob_, "sealed").SerializeAsString()), kNowMs, out);
    EXPECT_TRUE(out.empty());  // nothing before the commit
    const int commits = store_.commits;
    ASSERT_TRUE(core_.end_batch(kNowMs, out).ok());
    EXPECT_EQ(store_.commits, commits + 1);
    collect(out);
    ASSERT_EQ(answers_[a].size(), 1u);
    EXPECT_GT(answers_[a][0].accepted_id(), 0u);
    ASSERT_EQ(inbox_[b].size(), 1u);
    EXPECT_EQ(inbox_[b][0].sender_key(), key_of(alice_));  // set by the relay, from authentication
    EXPECT_EQ(inbox_[b][0].id(), answers_[a][0].accepted_id());
}

TEST_F(CoreTest, FailedCommitAcknowledgesAndDeliversNothing) {
    const ConnId a = join(alice_);
    const ConnId b = join(bob_);
    store_.fail_commit = true;
    std::vector<Outgoing> out;
    core_.handle(a, as_bytes(send_to(bob_, "sealed").SerializeAsString()), kNowMs, out);
    EXPECT_FALSE(core_.end_batch(kNowMs, out).ok());
    EXPECT_TRUE(out.empty());
    (void)b;
}

TEST_F(CoreTest, GroupEnvelopesFanOutToSubscribersInOrderButNotToTheSender) {
    const ConnId a = join(alice_);
    const ConnId b = join(bob_);
    const ConnId c = join(carol_);
    for (auto [id, key] : {std::pair{a, &alice_}, std::pair{b, &bob_}, std::pair{c, &carol_}}) {
        auto answer = ask(id, subscribe(group_, gms_.statement(group_, *key, 1, kExpires)));
        ASSERT_TRUE(answer.has_ok()) << answer.error().message();
    }
    const auto st = gms_.statement(group_, alice_, 1, kExpires);
    for (int i = 0; i < 3; ++i) ASSERT_GT(ask(a, publish(group_, st, "m" + std::to_string(i))).accepted_id(), 0u);
    EXPECT_TRUE(inbox_[a].empty());
    for (ConnId id : {b, c}) {
        ASSERT_EQ(inbox_[id].size(), 3u);
        for (int i = 0; i < 3; ++i) EXPECT_EQ(inbox_[id][i].payload(), "m" + std::to_string(i));
        EXPECT_LT(inbox_[id][0].id(), inbox_[id][1].id());
    }
}

TEST_F(CoreTest, StatementsAreCheckedForSignatureGroupIdentityAndExpiry) {
    const ConnId a = join(alice_);
    FakeGms impostor;
    auto forged = ask(a, subscribe(group_, impostor.statement(group_, alice_, 1, kExpires)));
    EXPECT_EQ(forged.error().code(), v1::ERROR_CODE_FORBIDDEN);
    EXPECT_NE(forged.error().message().find("not signed by the GMS"), std::string::npos);
    auto bobs = ask(a, subscribe(group_, gms_.statement(group_, bob_, 1, kExpires)));
    EXPECT_EQ(bobs.error().code(), v1::ERROR_CODE_FORBIDDEN);
    EXPECT_NE(bobs.error().message().find("identity key"), std::string::npos);
    auto other_group = ask(a, publish(group_, gms_.statement(group_id_for(8), alice_, 1, kExpires), "x"));
    EXPECT_EQ(other_group.error().code(), v1::ERROR_CODE_FORBIDDEN);
    EXPECT_NE(other_group.error().message().find("another group"), std::string::npos);
    auto expired = ask(a, subscribe(group_, gms_.statement(group_, alice_, 1, kNowMs / 1000 - 1)));
    EXPECT_EQ(expired.error().code(), v1::ERROR_CODE_STALE_EPOCH);
    EXPECT_NE(expired.error().message().find("expired"), std::string::npos);
}

// A statement past its member's validity (field 9) is refused, whatever its own expiry says.
TEST_F(CoreTest, StatementPastItsMembersValidityIsRefused) {
    const ConnId a = join(alice_);
    auto past = ask(a, subscribe(group_, gms_.statement(group_, alice_, 1, kExpires, 0, kNowMs / 1000)));
    EXPECT_EQ(past.error().code(), v1::ERROR_CODE_STALE_EPOCH);
    EXPECT_NE(past.error().message().find("membership of member expired at"), std::string::npos)
        << past.error().message();
    auto valid = ask(a, subscribe(group_, gms_.statement(group_, alice_, 1, kExpires, 0, kNowMs / 1000 + 60)));
    EXPECT_TRUE(valid.has_ok()) << valid.error().message();
}

TEST_F(CoreTest, OlderEpochIsAcceptedOnlyWithinTheGrace) {
    const ConnId a = join(alice_);
    const ConnId b = join(bob_);
    const auto old_alice = gms_.statement(group_, alice_, 3, kExpires);
    ASSERT_TRUE(ask(a, subscribe(group_, old_alice)).has_ok());
    ASSERT_TRUE(ask(b, subscribe(group_, gms_.statement(group_, bob_, 4, kExpires))).has_ok());  // epoch 4 seen now
    EXPECT_GT(ask(a, publish(group_, old_alice, "within grace"), kNowMs + 999).accepted_id(), 0u);
    auto late = ask(a, publish(group_, old_alice, "after grace"), kNowMs + 1000);
    ASSERT_TRUE(late.has_error());
    EXPECT_EQ(late.error().code(), v1::ERROR_CODE_STALE_EPOCH);
    EXPECT_NE(late.error().message().find("grace"), std::string::npos);
}

TEST_F(CoreTest, OversizedAndTooFrequentEnvelopesAreRefused) {
    const ConnId a = join(alice_);
    auto big = ask(a, send_to(bob_, std::string(1001, 'x')));
    EXPECT_EQ(big.error().code(), v1::ERROR_CODE_TOO_LARGE);
    EXPECT_NE(big.error().message().find("exceeds the maximum"), std::string::npos);
    int accepted = 0;
    v1::RelayResponse last;
    for (int i = 0; i < 30; ++i) {
        last = ask(a, send_to(bob_, "x"));
        if (last.accepted_id() > 0) ++accepted;
    }
    EXPECT_EQ(accepted, 20);  // the burst
    EXPECT_EQ(last.error().code(), v1::ERROR_CODE_RATE_LIMITED);
}

TEST_F(CoreTest, SlowReceiverIsWindowedAndCatchesUpInOrderAfterAcks) {
    const ConnId a = join(alice_);
    const ConnId b = join(bob_);
    for (int i = 0; i < 10; ++i) ASSERT_GT(ask(a, send_to(bob_, std::to_string(i))).accepted_id(), 0u);
    ASSERT_EQ(inbox_[b].size(), 4u);  // the window
    EXPECT_EQ(core_.in_flight(b), 4u);
    std::vector<std::uint64_t> ids;
    for (const auto& e : inbox_[b]) ids.push_back(e.id());
    ack(b, ids);
    ASSERT_EQ(inbox_[b].size(), 8u);
    ids.clear();
    for (std::size_t i = 4; i < 8; ++i) ids.push_back(inbox_[b][i].id());
    ack(b, ids);
    ASSERT_EQ(inbox_[b].size(), 10u);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(inbox_[b][i].payload(), std::to_string(i));
}

TEST_F(CoreTest, OfflineMemberGetsItsMailboxOnReconnect) {
    const ConnId a = join(alice_);
    for (int i = 0; i < 3; ++i) ASSERT_GT(ask(a, send_to(bob_, std::to_string(i))).accepted_id(), 0u);
    const ConnId b = join(bob_);
    ASSERT_EQ(inbox_[b].size(), 3u);
    EXPECT_EQ(inbox_[b][0].payload(), "0");
    core_.disconnected(b);  // unacknowledged: delivered again
    const ConnId b2 = join(bob_);
    ASSERT_EQ(inbox_[b2].size(), 3u);
    EXPECT_EQ(inbox_[b2][2].id(), inbox_[b][2].id());
}

TEST_F(CoreTest, UnknownAndEmptyRequestsAreMalformed) {
    const ConnId a = join(alice_);
    std::vector<Outgoing> out;
    const Bytes garbage = {0xff, 0xff, 0xff};
    core_.handle(a, garbage, kNowMs, out);
    collect(out);
    ASSERT_EQ(answers_[a].size(), 1u);
    EXPECT_EQ(answers_[a][0].error().code(), v1::ERROR_CODE_MALFORMED);
    v1::RelayRequest empty;
    empty.set_request_id(9);
    EXPECT_EQ(ask(a, empty).error().code(), v1::ERROR_CODE_MALFORMED);
}

// Issue 11 §1: bob is admitted at epoch 2 and connects only later. He is owed what alice and
// carol published at epoch 2 and after, also what carol already acknowledged, and nothing of
// epoch 1. dave, whose statement does not say member_since (an old GMS), gets only what is
// published after his subscription, as before.
TEST_F(CoreTest, LateJoinerIsOwedEveryEnvelopeFromItsEpochAndNoneBefore) {
    const ConnId a = join(alice_);
    const ConnId c = join(carol_);
    ASSERT_TRUE(ask(c, subscribe(group_, member_of(carol_, 1, 1))).has_ok());
    ASSERT_GT(ask(a, publish(group_, member_of(alice_, 1, 1), "before bob")).accepted_id(), 0u);
    ASSERT_GT(ask(a, publish(group_, member_of(alice_, 2, 1), "welcome bob")).accepted_id(), 0u);
    ASSERT_GT(ask(c, publish(group_, member_of(carol_, 2, 1), "hi from carol")).accepted_id(), 0u);
    ack_all(c);

    const ConnId b = join(bob_);
    ASSERT_TRUE(ask(b, subscribe(group_, member_of(bob_, 2, 2))).has_ok());
    ASSERT_EQ(payloads(b), (std::vector<std::string>{"welcome bob", "hi from carol"}));
    EXPECT_LT(inbox_[b][0].id(), inbox_[b][1].id());

    const ConnId d = join(dave_);
    ASSERT_TRUE(ask(d, subscribe(group_, member_of(dave_, 2, 0))).has_ok());
    EXPECT_TRUE(inbox_[d].empty());
    ASSERT_GT(ask(a, publish(group_, member_of(alice_, 2, 1), "later")).accepted_id(), 0u);
    EXPECT_EQ(payloads(d), std::vector<std::string>{"later"});
    EXPECT_EQ(payloads(b).back(), "later");
}

// A publisher still on its statement from before bob's join (within the grace) sent under the
// old epoch: bob, admitted at the newer one, is not owed it, neither by fan-out nor from the store.
TEST_F(CoreTest, EnvelopeOfAnEpochBeforeTheMembersAdmissionIsNeverFannedOutToIt) {
    const ConnId a = join(alice_);
    const ConnId b = join(bob_);
    ASSERT_TRUE(ask(b, subscribe(group_, member_of(bob_, 2, 2))).has_ok());
    ASSERT_GT(ask(a, publish(group_, member_of(alice_, 1, 1), "old epoch")).accepted_id(), 0u);
    ASSERT_GT(ask(a, publish(group_, member_of(alice_, 2, 1), "new epoch")).accepted_id(), 0u);
    EXPECT_EQ(payloads(b), std::vector<std::string>{"new epoch"});
    core_.disconnected(b);
    const ConnId b2 = join(bob_);
    ASSERT_TRUE(ask(b2, subscribe(group_, member_of(bob_, 2, 2))).has_ok());
    EXPECT_EQ(payloads(b2), std::vector<std::string>{"new epoch"});  // unacknowledged: again, alone
}

// bob, a member since 1, is removed at 2 and re-added at 3. While removed he kept his
// subscription, so fan-out still stored his rows: the re-admission withdraws them. He gets only
// what was sent from his re-admission on, and a statement of his earlier membership is refused.
TEST_F(CoreTest, ReadmittedMemberIsOwedOnlyWhatFollowsItsReadmission) {
    const ConnId a = join(alice_);
    const ConnId b = join(bob_);
    ASSERT_TRUE(ask(b, subscribe(group_, member_of(bob_, 1, 1))).has_ok());
    ASSERT_GT(ask(a, publish(group_, member_of(alice_, 1, 1), "first membership")).accepted_id(), 0u);
    ASSERT_EQ(payloads(b), std::vector<std::string>{"first membership"});
    ack_all(b);
    core_.disconnected(b);

    ASSERT_GT(ask(a, publish(group_, member_of(alice_, 2, 1), "while removed")).accepted_id(), 0u);
    ASSERT_GT(ask(a, publish(group_, member_of(alice_, 3, 1), "after re-add")).accepted_id(), 0u);
    const ConnId b2 = join(bob_);
    ASSERT_TRUE(ask(b2, subscribe(group_, member_of(bob_, 3, 3))).has_ok());
    EXPECT_EQ(payloads(b2), std::vector<std::string>{"after re-add"});

    auto earlier = ask(b2, subscribe(group_, member_of(bob_, 1, 1)));  // epoch 1 is still in its grace
    ASSERT_TRUE(earlier.has_error());
    EXPECT_EQ(earlier.error().code(), v1::ERROR_CODE_STALE_EPOCH);
    EXPECT_NE(earlier.error().message().find("earlier membership"), std::string::npos);
    ack_all(b2);
    core_.disconnected(b2);
    const ConnId b3 = join(bob_);
    ASSERT_TRUE(ask(b3, subscribe(group_, member_of(bob_, 3, 3))).has_ok());
    EXPECT_TRUE(inbox_[b3].empty()) << "the removal-time rows came back";
}

// A GMS-signed statement whose membership would begin after its own epoch makes no sense: it is
// refused with the field named, and the member's next, sound statement still works.
TEST_F(CoreTest, StatementWhoseMemberSinceIsAfterItsEpochIsMalformed) {
    const ConnId b = join(bob_);
    auto odd = ask(b, subscribe(group_, member_of(bob_, 2, 3)));
    ASSERT_TRUE(odd.has_error());
    EXPECT_EQ(odd.error().code(), v1::ERROR_CODE_MALFORMED);
    EXPECT_NE(odd.error().message().find("member_since"), std::string::npos);
    EXPECT_TRUE(ask(b, subscribe(group_, member_of(bob_, 3, 3))).has_ok());
}

// The backlog a late joiner is owed comes once: acknowledged, it is not sent again when the
// member reconnects or shows a newer statement of the same membership.
TEST_F(CoreTest, LateJoinersBacklogComesOnceAcrossReconnects) {
    const ConnId a = join(alice_);
    ASSERT_GT(ask(a, publish(group_, member_of(alice_, 2, 1), "backlog")).accepted_id(), 0u);
    const ConnId b = join(bob_);
    ASSERT_TRUE(ask(b, subscribe(group_, member_of(bob_, 2, 2))).has_ok());
    ASSERT_EQ(payloads(b), std::vector<std::string>{"backlog"});
    ack_all(b);
    core_.disconnected(b);

    ASSERT_GT(ask(a, publish(group_, member_of(alice_, 3, 1), "while away")).accepted_id(), 0u);
    const ConnId b2 = join(bob_);
    ASSERT_TRUE(ask(b2, subscribe(group_, member_of(bob_, 3, 2))).has_ok());  // carol joined: epoch 3
    EXPECT_EQ(payloads(b2), std::vector<std::string>{"while away"});
}

// Retention per group is bounded: over the cap the oldest envelopes go first, also ones still
// owed, and a late joiner gets what is left, in order.
class CoreRetentionTest : public CoreTest {
  protected:
    CoreRetentionTest() : CoreTest(capped()) {}
    static Config capped() {
        Config c = small_window();
        c.max_group_bytes = 100;
        return c;
    }
};

TEST_F(CoreRetentionTest, GroupRetentionIsBoundedOldestFirst) {
    const ConnId a = join(alice_);
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(
            ask(a, publish(group_, member_of(alice_, 1, 1), std::string(29, 'a') + std::to_string(i))).accepted_id());
        ASSERT_GT(ids.back(), 0u);
    }
    EXPECT_FALSE(store_.holds(ids[0]));
    EXPECT_FALSE(store_.holds(ids[1]));
    EXPECT_TRUE(store_.holds(ids[2]));
    const ConnId b = join(bob_);
    ASSERT_TRUE(ask(b, subscribe(group_, member_of(bob_, 1, 1))).has_ok());
    ASSERT_EQ(inbox_[b].size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(inbox_[b][i].id(), ids[i + 2]);
}


// Rekeys once per group (docs/rekey-delivery.md): the GMS publishes a signed rekey to the
// group's topic, the relay checks the signature and fans it out; nobody else may put one there.
class RekeyTopicTest : public CoreTest {
  protected:
    std::string signed_rekey(const crypto::SigningKey& signer, std::uint64_t epoch, std::uint64_t membership_epoch) {
        v1::Rekey r;
        r.set_group_id(group_);
        r.set_epoch(epoch);
        r.set_membership_epoch(membership_epoch);
        r.set_lkh_message("lkh");
        return wire::sign_rekey(std::move(r), signer).SerializeAsString();
    }
    v1::RelayRequest publish_rekey(const std::string& bytes) {
        v1::RelayRequest r;
        r.set_request_id(++request_);
        r.mutable_publish_rekey()->set_signed_rekey(bytes);
        return r;
    }
    void subscribe_members() {
        a_ = join(alice_);
        b_ = join(bob_);
        for (auto [id, key] : {std::pair{a_, &alice_}, std::pair{b_, &bob_}}) {
            auto answer = ask(id, subscribe(group_, member_of(*key, 2, 1)));
            ASSERT_TRUE(answer.has_ok()) << answer.error().message();
        }
    }
    ConnId a_ = 0, b_ = 0;
};

TEST_F(RekeyTopicTest, AGmsSignedRekeyIsStoredOnceAndFannedOutToTheGroup) {
    subscribe_members();
    const ConnId gms = join(gms_.key);
    const std::string bytes = signed_rekey(gms_.key, 5, 2);
    auto answer = ask(gms, publish_rekey(bytes));
    ASSERT_GT(answer.accepted_id(), 0u) << answer.error().message();
    for (ConnId id : {a_, b_}) {
        ASSERT_EQ(inbox_[id].size(), 1u);
        const v1::Envelope& e = inbox_[id][0];
        EXPECT_EQ(e.type(), v1::ENVELOPE_TYPE_REKEY);
        EXPECT_EQ(e.group_id(), group_);
        EXPECT_EQ(e.sender_key(), key_of(gms_.key));
        EXPECT_EQ(e.payload(), bytes);  // byte for byte: members verify the GMS signature themselves
    }
    // Retained like any group envelope: a member admitted at that epoch gets it too.
    const ConnId c = join(carol_);
    ASSERT_TRUE(ask(c, subscribe(group_, member_of(carol_, 2, 2))).has_ok());
    ASSERT_EQ(payloads(c), std::vector<std::string>{bytes});
}

TEST_F(RekeyTopicTest, AForgedRekeyIsRefusedWithItsReasonAndReachesNobody) {
    subscribe_members();
    const ConnId gms = join(gms_.key);
    FakeGms impostor;
    auto forged = ask(gms, publish_rekey(signed_rekey(impostor.key, 5, 2)));
    EXPECT_EQ(forged.error().code(), v1::ERROR_CODE_UNAUTHENTICATED);  // Errc::auth_failed on the wire
    EXPECT_EQ(forged.error().message(), "rekey refused: rekey signature does not verify with the GMS key");
    auto garbage = ask(gms, publish_rekey("\xff\xff"));
    EXPECT_EQ(garbage.error().code(), v1::ERROR_CODE_MALFORMED);
    EXPECT_TRUE(inbox_[a_].empty());
    EXPECT_TRUE(inbox_[b_].empty());
}

TEST_F(RekeyTopicTest, OnlyTheGmsPublishesRekeys) {
    subscribe_members();
    // A member holding a genuine GMS-signed rekey still may not publish it.
    auto by_member = ask(a_, publish_rekey(signed_rekey(gms_.key, 5, 2)));
    EXPECT_EQ(by_member.error().code(), v1::ERROR_CODE_FORBIDDEN);
    EXPECT_NE(by_member.error().message().find("only the GMS publishes rekeys"), std::string::npos);
    // Nor dress one up as an ordinary group envelope or a mailbox envelope.
    v1::RelayRequest as_envelope = publish(group_, member_of(alice_, 2, 1), signed_rekey(gms_.key, 5, 2));
    as_envelope.mutable_publish()->mutable_envelope()->set_type(v1::ENVELOPE_TYPE_REKEY);
    auto dressed = ask(a_, as_envelope);
    EXPECT_EQ(dressed.error().code(), v1::ERROR_CODE_FORBIDDEN);
    EXPECT_NE(dressed.error().message().find("published by the GMS only"), std::string::npos);
    v1::RelayRequest to_mailbox = send_to(bob_, "x");
    to_mailbox.mutable_send()->mutable_envelope()->set_type(v1::ENVELOPE_TYPE_REKEY);
    EXPECT_EQ(ask(a_, to_mailbox).error().code(), v1::ERROR_CODE_FORBIDDEN);
    EXPECT_TRUE(inbox_[b_].empty());
}

}  // namespace
}  // namespace twofold::relay
