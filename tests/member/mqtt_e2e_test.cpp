// The member library over an MQTT broker: the real twofold-gms, the real mosquitto with
// twofold-mosquitto-auth.so (tests/support/mosquitto_broker.h: TLS, persistence, its own
// directory) and members made with `init --relay mqtts://...`. The paper's flows end to end, and
// what issue 16 asks of the broker path: access by statement, removal ending a subscription,
// restarts, bad publications, a crash between receipt and commit, and what the broker stores.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "crypto/gk.h"
#include "crypto/hex.h"
#include "deployment.h"
#include "member/group_keys.h"
#include "member_client/mqtt_transport.h"
#include "member_client/records.h"
#include "member_store/vault.h"
#include "member_steps.h"
#include "mqtt_auth/token.h"
#include "mqtt_auth/topics.h"
#include "mqtt_client/session.h"
#include "support/mosquitto_broker.h"
#include "twofold/member.h"

namespace twofold::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) out.push_back(entry.path());
    }
    return out;
}

std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint64_t now_seconds() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
    return n;
}

class MqttE2e : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(d.start_gms(0, gms_options()));
        MosquittoOptions o;
        o.gms_key_hex = d.gms_key();
        o.broker_name = "127.0.0.1";  // what `mqtts://127.0.0.1:PORT` makes the members' tokens name
        o.message_size_limit = 65536;
        o.grace_seconds = grace_seconds();
        broker = std::make_unique<MosquittoBroker>(o);
        ASSERT_TRUE(broker->ready()) << "mosquitto did not start:\n" << broker->log();
    }
    void TearDown() override {
        alice.reset();
        bob.reset();
        carol.reset();
        if (broker) {
            EXPECT_EQ(broker->sanitizer_reports(), "");
            if (HasFailure()) std::cerr << "--- mosquitto.log (tail)\n" << tail(broker->log());
        }
    }
    // How long the plugin keeps a superseded epoch working. Long here, so that members which have
    // not yet re-presented after a join or removal are still served while a test runs.
    virtual unsigned grace_seconds() const { return 30; }
    virtual std::vector<std::string> gms_options() const { return {}; }
    static std::string tail(const std::string& log) { return log.size() > 6000 ? log.substr(log.size() - 6000) : log; }

    InitOptions options(const std::string& account) const {
        InitOptions o = d.options(account);
        o.relay = broker->url();
        o.relay_fingerprint = broker->certificate_fingerprint();
        return o;
    }
    std::unique_ptr<Member> member(const std::string& account) {
        auto m = Member::init(d.home(account), Deployment::passphrase_of(account), options(account));
        if (!m) {
            ADD_FAILURE() << "init " << account << ": " << m.error().message;
            return nullptr;
        }
        return std::move(*m);
    }
    void alice_and_bob(const std::string& group, bool strict = false) {
        alice = member("alice");
        bob = member("bob");
        ASSERT_TRUE(alice && bob);
        GroupPolicyOptions policy;
        policy.strict = strict;
        policy.rn2_interval_seconds = 3600;
        ASSERT_TRUE(alice->create_group(group, policy).ok());
        ASSERT_NO_FATAL_FAILURE(join(*alice, *bob, group, Rights{true, false}));
    }
    // A member's identity key as the broker names it (client id, username).
    std::string key_hex(const std::string& account) {
        auto vault = member_store::Vault::open(d.home(account) / "member.db", as_bytes(Deployment::passphrase_of(account)));
        EXPECT_TRUE(vault.ok());
        if (!vault.ok()) return {};
        auto seed = vault->get("secret", "identity");
        EXPECT_TRUE(seed.ok() && *seed);
        auto key = crypto::SigningKey::from_seed((**seed).span());
        return crypto::to_hex(key->public_key());
    }
    member_client::MqttOptions transport_options() const {
        member_client::MqttOptions o;
        o.host = "127.0.0.1";
        o.port = static_cast<std::uint16_t>(broker->port());
        o.fingerprint = broker->certificate_fingerprint();
        o.broker_name = "127.0.0.1";
        o.timeout = 5s;
        return o;
    }

    Deployment d;
    std::unique_ptr<MosquittoBroker> broker;
    std::unique_ptr<Member> alice, bob, carol;
};

// Fig. 4, 6, 7 over the broker: create, invite, accept, messages both ways, a second join by an
// invitee's invitation, a withdrawal, and nothing for the removed member afterwards.
TEST_F(MqttE2e, PaperFlowsOverTheBroker) {
    alice = member("alice");
    bob = member("bob");
    carol = member("carol");
    ASSERT_TRUE(alice && bob && carol);
    auto created = alice->create_group("paper", GroupPolicyOptions{3600, 0, false});
    ASSERT_TRUE(created.ok()) << created.error().message;
    ASSERT_NO_FATAL_FAILURE(join(*alice, *bob, "paper", Rights{true, false}));
    EXPECT_EQ(info(*bob, "paper").rn2_epoch, info(*alice, "paper").rn2_epoch);

    ASSERT_TRUE(alice->send("paper", "hello bob").ok());
    ASSERT_TRUE(bob->send("paper", "hello alice").ok());
    const auto at_bob = recv(*bob, "paper");
    ASSERT_NE(message_with(at_bob, "hello bob"), nullptr) << describe(at_bob);
    EXPECT_EQ(message_with(at_bob, "hello bob")->sender, "alice");
    const auto at_alice = recv(*alice, "paper");
    ASSERT_NE(message_with(at_alice, "hello alice"), nullptr) << describe(at_alice);

    ASSERT_NO_FATAL_FAILURE(join(*bob, *carol, "paper"));
    EXPECT_EQ(info(*carol, "paper").rn2_epoch, info(*alice, "paper").rn2_epoch);

    ASSERT_TRUE(alice->remove("paper", "bob").ok());
    const auto bob_told = sync(*bob);
    EXPECT_TRUE(has_event(bob_told, Kind::notice, "your membership ended")) << describe(bob_told);
    const auto carol_told = sync(*carol);
    EXPECT_TRUE(has_event(carol_told, Kind::notice, "alice withdrew bob")) << describe(carol_told);
    ASSERT_TRUE(alice->send("paper", "after bob: alice").ok());
    ASSERT_TRUE(carol->send("paper", "after bob: carol").ok());
    const auto at_carol = recv(*carol, "paper");
    ASSERT_NE(message_with(at_carol, "after bob: alice"), nullptr) << describe(at_carol);
    ASSERT_NE(message_with(recv(*alice, "paper"), "after bob: carol"), nullptr);
    for (const auto& t : texts(recv(*bob, std::nullopt))) EXPECT_EQ(t.find("after bob"), std::string::npos) << t;
}

// 2(c) over the broker: a strict removal rotates RN1 (generation 2, sent by mailbox); the
// remaining member reads in it, the removed one learns of its removal and reads nothing.
TEST_F(MqttE2e, StrictRemovalRotatesRn1) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("strictgroup", true));
    carol = member("carol");
    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, "strictgroup"));
    ASSERT_EQ(info(*alice, "strictgroup").rn1_generation, 1u);
    ASSERT_TRUE(alice->remove("strictgroup", "carol").ok());
    const GroupInfo after = info(*alice, "strictgroup");
    EXPECT_EQ(after.rn1_generation, 2u);
    ASSERT_TRUE(alice->send("strictgroup", "post-removal secret").ok());
    const auto at_bob = recv(*bob, "strictgroup");
    const Event* m = message_with(at_bob, "post-removal secret");
    ASSERT_NE(m, nullptr) << describe(at_bob);
    EXPECT_EQ(m->rn1_generation, 2u);
    EXPECT_EQ(info(*bob, "strictgroup").rn1_generation, 2u);
    const auto at_carol = recv(*carol, std::nullopt);
    EXPECT_TRUE(has_event(at_carol, Kind::notice, "your membership ended")) << describe(at_carol);
    EXPECT_EQ(message_with(at_carol, "post-removal secret"), nullptr);
}

// A key that is no member (here with a member's statement, which names another key) can
// neither subscribe to the group nor publish on it; the members' traffic goes on.
TEST_F(MqttE2e, NonMemberCannotSubscribeOrPublish) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("closed"));
    const crypto::SigningKey mallory = crypto::SigningKey::generate();
    auto t = member_client::MqttTransport::connect(transport_options(), mallory);
    ASSERT_TRUE(t.ok()) << t.error().message;
    std::size_t seen = 0;
    (*t)->set_handler([&](const Result<v1::Envelope>&) {
        ++seen;
        return Status{};
    });
    // bob's statement is GMS-signed, but for bob's key.
    v1::MembershipStatement statement;
    const std::string gid_hex = info(*alice, "closed").id;
    bob.reset();  // its store is read here, so its object goes
    {
        auto vault = member_store::Vault::open(d.home("bob") / "member.db", as_bytes(Deployment::passphrase_of("bob")));
        ASSERT_TRUE(vault.ok());
        v1::LocalGroup g;
        auto found = member_client::get_message(*vault, "group", gid_hex, g);
        ASSERT_TRUE(found.ok() && *found);
        statement = g.statement();
        ASSERT_FALSE(statement.gms_signature().empty());
    }
    const std::string gid = statement.group_id();
    auto subscribed = (*t)->subscribe(as_bytes(gid), statement);
    ASSERT_FALSE(subscribed.ok());
    EXPECT_EQ(subscribed.error().code, Errc::forbidden) << subscribed.error().message;
    auto published = (*t)->publish(as_bytes(gid), statement, v1::ENVELOPE_TYPE_GROUP_MESSAGE, as_bytes(std::string("x")));
    ASSERT_FALSE(published.ok());
    EXPECT_TRUE(broker->log_has("twofold-auth: refused publication"));
    // The members are unaffected, and mallory got nothing of theirs.
    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    ASSERT_TRUE(alice->send("closed", "members only").ok());
    ASSERT_NE(message_with(recv(*bob, "closed"), "members only"), nullptr);
    auto got = (*t)->receive(300ms);
    EXPECT_FALSE(got.ok());
    EXPECT_EQ(seen, 0u);
}

// A removed member's subscription ends at the broker: once the grace after the new epoch has
// passed, the broker no longer even sends it the group's publications (its log shows every
// PUBLISH it sends, by client id), though the subscription was granted before.
// Issue 11 §1 on the broker: a joiner gets what the group's members sent between its admission
// and its first sync (its session had no subscription to the group then), each message once,
// and nothing from before its admission.
TEST_F(MqttE2e, AJoinerReadsWhatWasSentBeforeItsFirstSync) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("welcome"));
    ASSERT_TRUE(alice->send("welcome", "before carol was invited").ok());
    carol = member("carol");
    ASSERT_TRUE(carol);
    ASSERT_TRUE(alice->invite("welcome", "carol", {}).ok());
    ASSERT_TRUE(carol->accept("alice").ok());
    const auto answered = sync(*alice);
    ASSERT_TRUE(has_event(answered, Kind::notice, "carol accepted: RN1 sent, GMS notified")) << describe(answered);
    // carol has not synced since she accepted: she holds no statement and no group key yet.
    ASSERT_TRUE(bob->send("welcome", "from bob before carol synced").ok());
    ASSERT_TRUE(alice->send("welcome", "from alice before carol synced").ok());
    const auto at_carol = recv(*carol, "welcome");
    EXPECT_TRUE(has_event(at_carol, Kind::notice, "joined welcome; group key ready")) << describe(at_carol);
    ASSERT_NE(message_with(at_carol, "from bob before carol synced"), nullptr) << describe(at_carol);
    ASSERT_NE(message_with(at_carol, "from alice before carol synced"), nullptr) << describe(at_carol);
    const auto first = texts(at_carol);
    EXPECT_EQ(std::count(first.begin(), first.end(), std::string("bob: from bob before carol synced")), 1)
        << describe(at_carol);
    EXPECT_EQ(message_with(at_carol, "before carol was invited"), nullptr) << "nothing from before her admission";
    // Once subscribed she gets what follows by the subscription, and nothing twice.
    ASSERT_TRUE(bob->send("welcome", "after carol synced").ok());
    const auto later = recv(*carol, "welcome");
    ASSERT_NE(message_with(later, "after carol synced"), nullptr) << describe(later);
    const auto all = texts(later);
    EXPECT_EQ(std::count(all.begin(), all.end(), std::string("bob: from bob before carol synced")), 0) << describe(later);
}

// Statements that last 2 s: an absent member's statement expires long before it is back. The
// broker keeps filling its session (by membership, not by the expired statement) and hands it
// all over once the member, back, has presented a fresh one.
class MqttE2eShortStatements : public MqttE2e {
  protected:
    std::vector<std::string> gms_options() const override { return {"--statement-ttl", "2"}; }
};

TEST_F(MqttE2eShortStatements, AnAbsentMemberReadsWhatWasSentAfterItsStatementExpired) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("patient"));
    bob.reset();
    std::this_thread::sleep_for(3s);  // bob's statement, as the broker holds it, has expired
    const std::vector<std::string> sent = {"while away 1", "while away 2", "while away 3"};
    for (const auto& m : sent) ASSERT_TRUE(alice->send("patient", m).ok());
    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    const auto at_bob = recv(*bob, "patient");
    for (const auto& m : sent) EXPECT_NE(message_with(at_bob, m), nullptr) << m << "\n" << describe(at_bob);
}

class MqttE2eShortGrace : public MqttE2e {
  protected:
    unsigned grace_seconds() const override { return 1; }
};

TEST_F(MqttE2eShortGrace, RemovedMemberLosesItsSubscription) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("leaving"));
    carol = member("carol");
    ASSERT_NO_FATAL_FAILURE(join(*alice, *carol, "leaving"));
    sync(*bob);  // bob shows the epoch of carol's join (the old one stops working after the grace)
    const std::string bob_id = key_hex("bob");
    const std::string topic = "twofold/v1/g/" + info(*alice, "leaving").id;
    ASSERT_TRUE(alice->send("leaving", "before removal").ok());
    ASSERT_NE(message_with(recv(*bob, "leaving"), "before removal"), nullptr);
    const std::string to_bob = "Sending PUBLISH to " + bob_id + " (";
    ASSERT_GE(count_of(broker->log(), to_bob), 1u);

    ASSERT_TRUE(alice->remove("leaving", "bob").ok());
    ASSERT_TRUE(alice->send("leaving", "new epoch shown").ok());  // alice presents the new epoch
    ASSERT_NE(message_with(recv(*carol, "leaving"), "new epoch shown"), nullptr);
    std::this_thread::sleep_for(1500ms);  // the broker's grace (1 s) for the superseded epoch
    const std::size_t before = count_of(broker->log(), to_bob);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(alice->send("leaving", "after removal " + std::to_string(i)).ok());
    const auto at_carol = recv(*carol, "leaving");
    ASSERT_NE(message_with(at_carol, "after removal 2"), nullptr) << describe(at_carol);
    // bob's receiving session is still connected and subscribed; the broker fans out in one
    // step, so carol's delivery means bob's was decided.
    EXPECT_EQ(count_of(broker->log(), to_bob), before) << "the broker still sends the group to bob";
    const auto at_bob = recv(*bob, std::nullopt);
    for (const auto& t : texts(at_bob)) EXPECT_EQ(t.find("after removal"), std::string::npos) << t;
}

// Envelopes the broker acknowledged reach a member that was away across a broker restart
// (persistence on): its persistent session and queue come back from mosquitto.db.
TEST_F(MqttE2e, BrokerRestartLosesNoAcknowledgedEnvelope) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("durable"));
    bob.reset();  // away; its session stays at the broker
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(alice->send("durable", "before restart " + std::to_string(i)).ok());
    alice.reset();
    ASSERT_TRUE(broker->restart()) << broker->log();
    alice = d.reopen("alice");
    ASSERT_TRUE(alice);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(alice->send("durable", "after restart " + std::to_string(i)).ok());
    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    const auto at_bob = recv(*bob, "durable");
    for (int i = 0; i < 5; ++i) {
        EXPECT_NE(message_with(at_bob, "before restart " + std::to_string(i)), nullptr) << describe(at_bob);
        EXPECT_NE(message_with(at_bob, "after restart " + std::to_string(i)), nullptr) << describe(at_bob);
    }
    EXPECT_FALSE(has_event(at_bob, Kind::missing, "")) << describe(at_bob);
}

// A failure between receipt and commit loses nothing: bob's store is locked by another writer,
// so committing the envelope fails; no PUBACK leaves, bob's sync fails, and the next sync gets
// the message (once).
TEST_F(MqttE2e, FailureBetweenReceiptAndCommitLosesNothing) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("careful"));
    bob.reset();
    ASSERT_TRUE(alice->send("careful", "must not be lost").ok());
    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((d.home("bob") / "member.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    auto failed = bob->sync();
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    ASSERT_FALSE(failed.ok()) << "the sync should have failed on the locked store";
    EXPECT_EQ(message_with(failed.ok() ? *failed : std::vector<Event>{}, "must not be lost"), nullptr);
    bob.reset();
    bob = d.reopen("bob");
    ASSERT_TRUE(bob);
    const auto at_bob = recv(*bob, "careful");
    ASSERT_NE(message_with(at_bob, "must not be lost"), nullptr) << describe(at_bob);
    std::size_t copies = 0;
    for (const auto& t : texts(at_bob)) copies += t.find("must not be lost") != std::string::npos;
    EXPECT_EQ(copies, 1u);
}

// The same at the transport: a handler that fails (a crash before the commit) leaves the
// publication unacknowledged, so the next session under the client id gets it again; one that
// succeeds acknowledges it, so it does not come back.
TEST_F(MqttE2e, TransportAcknowledgesOnlyWhatTheHandlerCommitted) {
    const crypto::SigningKey key = crypto::SigningKey::generate();
    const crypto::SigningKey sender = crypto::SigningKey::generate();
    const std::string mailbox(key.public_key().begin(), key.public_key().end());
    std::vector<std::uint64_t> got;
    auto open = [&](bool fail) {
        auto t = member_client::MqttTransport::connect(transport_options(), key);
        EXPECT_TRUE(t.ok()) << t.error().message;
        (*t)->set_handler([&got, fail](const Result<v1::Envelope>& e) -> Status {
            if (!e) return e.error();
            got.push_back(e->id());
            if (fail) return make_error(Errc::internal, "simulated crash before the commit");
            return {};
        });
        return std::move(*t);
    };
    {
        auto first = open(false);  // creates the persistent session and its mailbox subscription
        EXPECT_FALSE(first->receive(200ms).ok());
    }
    auto s = member_client::MqttTransport::connect(transport_options(), sender);
    ASSERT_TRUE(s.ok()) << s.error().message;
    auto id = (*s)->send(as_bytes(mailbox), v1::ENVELOPE_TYPE_INVITATION, as_bytes(std::string("payload")));
    ASSERT_TRUE(id.ok()) << id.error().message;
    {
        auto crashing = open(true);
        auto r = crashing->receive(5s);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().message, "simulated crash before the commit");
    }
    ASSERT_EQ(got, std::vector<std::uint64_t>{*id});
    {
        auto committing = open(false);
        ASSERT_TRUE(committing->receive(5s).ok());
    }
    ASSERT_EQ(got, (std::vector<std::uint64_t>{*id, *id}));  // the same id: a member drops a copy by it
    {
        auto again = open(false);
        EXPECT_FALSE(again->receive(500ms).ok());  // acknowledged: not delivered again
    }
    EXPECT_EQ(got.size(), 2u);
}

// Garbage and oversized publications: a member of the group publishes bytes that are no
// envelope (the broker refuses them on the group's topic; bob refuses them in his mailbox), an
// envelope whose content is no group message (bob refuses it), then one larger than the broker's
// limit, which the broker drops itself; the broker keeps serving.
TEST_F(MqttE2e, GarbageAndOversizedPublicationsAreRefused) {
    ASSERT_NO_FATAL_FAILURE(alice_and_bob("robust"));
    const std::string gid_hex = info(*alice, "robust").id;
    // A raw session as alice (her key, from her store), with her statement.
    alice.reset();
    std::optional<crypto::SigningKey> key;
    v1::LocalGroup g;
    {
        auto vault = member_store::Vault::open(d.home("alice") / "member.db", as_bytes(Deployment::passphrase_of("alice")));
        ASSERT_TRUE(vault.ok());
        auto seed = vault->get("secret", "identity");
        ASSERT_TRUE(seed.ok() && *seed);
        auto k = crypto::SigningKey::from_seed((**seed).span());
        ASSERT_TRUE(k.ok());
        key.emplace(std::move(*k));
        auto found = member_client::get_message(*vault, "group", gid_hex, g);
        ASSERT_TRUE(found.ok() && *found);
    }
    auto t = member_client::MqttTransport::connect(transport_options(), *key);
    ASSERT_TRUE(t.ok()) << t.error().message;
    // Present the statement through an envelope publish (refused content does not matter here).
    auto shown = (*t)->publish(as_bytes(g.group_id()), g.statement(), v1::ENVELOPE_TYPE_GROUP_MESSAGE,
                               as_bytes(std::string("not a group message")));
    ASSERT_TRUE(shown.ok()) << shown.error().message;
    mqtt::SessionOptions o;
    o.host = "127.0.0.1";
    o.port = static_cast<std::uint16_t>(broker->port());
    o.fingerprint = broker->certificate_fingerprint();
    o.client_id = crypto::to_hex(key->public_key()) + "-raw";
    o.username = crypto::to_hex(key->public_key());
    o.password = mqtt_auth::make_token(*key, "127.0.0.1", now_seconds(), 300);
    auto raw = mqtt::Session::connect(o);
    ASSERT_TRUE(raw.ok()) << raw.error().message;
    const std::string topic = mqtt_auth::group_topic(g.group_id());
    // On the group's topic the broker refuses what is not an envelope for the group; a mailbox
    // it leaves to its owner, who refuses it by name.
    auto garbage = (*raw)->publish(topic, as_bytes(std::string("\xff\xfe garbage")));
    ASSERT_FALSE(garbage.ok());
    EXPECT_EQ(garbage.error().code, Errc::forbidden) << garbage.error().message;
    EXPECT_TRUE(broker->log_has("bytes on a group topic is not an envelope"));
    std::string bob_key;
    for (const auto& r : g.roster()) {
        if (r.account() == "bob") bob_key = r.identity_key();
    }
    ASSERT_EQ(bob_key.size(), 32u) << "bob is in alice's roster";
    ASSERT_TRUE((*raw)->publish(mqtt_auth::mailbox_topic(bob_key), as_bytes(std::string("\xff\xfe garbage"))).ok());
    EXPECT_FALSE((*raw)->publish(topic, as_bytes(std::string(70000, 'x'))).ok());  // above message_size_limit
    const auto at_bob = recv(*bob, std::nullopt);
    EXPECT_TRUE(has_event(at_bob, Kind::refused, "is not an envelope")) << describe(at_bob);
    EXPECT_TRUE(has_event(at_bob, Kind::refused, "message refused")) << describe(at_bob);
    // The broker still serves: alice as a member again, bob reads her.
    alice = d.reopen("alice");
    ASSERT_TRUE(alice);
    ASSERT_TRUE(alice->send("robust", "still here").ok());
    ASSERT_NE(message_with(recv(*bob, "robust"), "still here"), nullptr);
}

// What the broker stores and logs (mosquitto.db, the plugin's state file, the log) after real
// traffic queued for an absent member holds no plaintext, group name, RN1 or GK.
TEST_F(MqttE2e, BrokerHoldsNoPlaintextGroupNameRn1OrGk) {
    const std::string name = "zanzibarsecretplans";
    ASSERT_NO_FATAL_FAILURE(alice_and_bob(name));
    bob.reset();  // so the broker queues for him
    const std::vector<std::string> plaintexts = {"the launch code is 0451-alpha", "meet at the old mill at nine"};
    for (const auto& p : plaintexts) ASSERT_TRUE(alice->send(name, p).ok());
    const std::string gid = info(*alice, name).id;
    alice.reset();
    ASSERT_TRUE(broker->stop());

    auto vault = member_store::Vault::open(d.home("alice") / "member.db", as_bytes(Deployment::passphrase_of("alice")));
    ASSERT_TRUE(vault.ok());
    v1::LocalGroup g;
    ASSERT_TRUE(member_client::get_message(*vault, "group", gid, g).ok());
    auto keys = member_client::load_group_keys(*vault, g);
    ASSERT_TRUE(keys.ok() && *keys && (*keys)->ready());
    std::vector<std::pair<std::string, std::string>> needles;
    for (const auto& p : plaintexts) needles.emplace_back("plaintext", p);
    needles.emplace_back("group name", name);
    needles.emplace_back("group name hex", crypto::to_hex(as_bytes(name)));
    for (const auto& [generation, rn1] : (*keys)->rn1s()) {
        needles.emplace_back("RN1", std::string(rn1.span().begin(), rn1.span().end()));
        needles.emplace_back("RN1 hex", crypto::to_hex(rn1.span()));
    }
    auto group_name = crypto::GroupName::parse(name);
    const auto gk = crypto::derive_group_key((*keys)->rn1s().rbegin()->second,
                                             crypto::Rn2::copy_of((*keys)->path()->rn2()), *group_name);
    needles.emplace_back("GK", std::string(gk.span().begin(), gk.span().end()));
    needles.emplace_back("GK hex", crypto::to_hex(gk.span()));
    std::size_t scanned = 0;
    bool db_seen = false;
    for (const auto& file : files_under(broker->dir())) {
        const std::string bytes = slurp(file);
        scanned += bytes.size();
        db_seen |= file.filename() == "mosquitto.db" && bytes.find(gid.substr(0, 8)) != std::string::npos;
        for (const auto& [what, needle] : needles) EXPECT_EQ(bytes.find(needle), std::string::npos) << what << " in " << file;
    }
    EXPECT_GT(scanned, 0u);
    EXPECT_TRUE(db_seen) << "mosquitto.db should hold the queued envelopes' topic (the scan reads it)";
}

// The broker is known by its pinned certificate only: another fingerprint is refused before any
// login, at init and in the transport; so is a --relay URL of another scheme.
TEST_F(MqttE2e, AWrongFingerprintIsRefused) {
    auto o = transport_options();
    o.fingerprint = "sha256:" + std::string(64, 'a');
    const crypto::SigningKey key = crypto::SigningKey::generate();
    auto t = member_client::MqttTransport::connect(o, key);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find("fingerprint"), std::string::npos) << t.error().message;
    EXPECT_FALSE(broker->log_has("twofold-auth: accepted client '" + crypto::to_hex(key.public_key()), 500ms));

    InitOptions bad = options("mallory");
    bad.relay_fingerprint = o.fingerprint;
    auto m = Member::init(d.home("mallory"), Deployment::passphrase_of("mallory"), bad);
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().message.find("cannot reach the MQTT broker"), std::string::npos) << m.error().message;
    EXPECT_FALSE(std::filesystem::exists(d.home("mallory") / "member.db"));

    bad = options("mallory");
    bad.relay = "mqtt://127.0.0.1:" + std::to_string(broker->port());  // no TLS: not offered
    auto plain = Member::init(d.home("mallory"), Deployment::passphrase_of("mallory"), bad);
    ASSERT_FALSE(plain.ok());
    EXPECT_EQ(plain.error().code, Errc::invalid_argument);
    EXPECT_NE(plain.error().message.find("mqtts://HOST:PORT"), std::string::npos) << plain.error().message;
}

}  // namespace
}  // namespace twofold::testing
