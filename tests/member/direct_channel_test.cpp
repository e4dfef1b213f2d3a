// The direct route's channel over in-memory frames: CPace keyed by the code feeds the Noise PSK;
// a matching code gives both sides one channel; a wrong code fails at the inviter with "invitation
// code does not match"; a static key other than the GMS's is named with both fingerprints; a
// relay that substituted an identity key in CPace's CI (without the code) is caught the same way
// as a wrong code.
#include "member/direct_channel.h"

#include <gtest/gtest.h>

#include "handshake/direct_route_keys.h"
#include "member/direct_signalling.h"

namespace twofold::member {
namespace {

struct Ends {
    std::optional<DirectChannel> inviter, invitee;
};

struct Parties {
    crypto::SigningKey alice = crypto::SigningKey::generate();  // inviter
    crypto::SigningKey bob = crypto::SigningKey::generate();    // invitee
    Bytes nonce = Bytes(16, 0x07);
    Bytes prologue = Bytes(40, 0x55);

    // Each side runs CPace with the code it holds and the keys it believes in.
    Ends run(const std::string& inviter_code, const std::string& invitee_code,
            const crypto::SignPublicKey* invitee_key_at_inviter = nullptr,
            const crypto::SignPublicKey* expected_by_inviter = nullptr) {
        const auto& bob_for_alice = invitee_key_at_inviter ? *invitee_key_at_inviter : bob.public_key();
        auto ca = handshake::InviteCode::parse(inviter_code).value();
        auto cb = handshake::InviteCode::parse(invitee_code).value();
        const Bytes sid = direct_cpace_sid(as_string(nonce), 1);
        auto ia = *handshake::direct_route_cpace_inputs(ca, sid, alice.public_key(), bob_for_alice);
        auto ib = *handshake::direct_route_cpace_inputs(cb, sid, alice.public_key(), bob.public_key());
        handshake::CpaceParty pa(handshake::CpaceParty::Role::initiator, ia.prs, ia.ci, ia.sid, {},
                                 handshake::CpaceTranscript::initiator_responder);
        handshake::CpaceParty pb(handshake::CpaceParty::Role::responder, ib.prs, ib.ci, ib.sid, {},
                                 handshake::CpaceTranscript::initiator_responder);
        const auto ya = *pa.message();
        const auto yb = *pb.message();
        auto isk_a = pa.finish(yb, {}).value();
        auto isk_b = pb.finish(ya, {}).value();
        Ends r;
        r.inviter.emplace(DirectChannel::create(DirectChannel::Side::inviter, alice,
                                                 expected_by_inviter ? *expected_by_inviter : bob_for_alice, isk_a,
                                                 prologue).value());
        r.invitee.emplace(
            DirectChannel::create(DirectChannel::Side::invitee, bob, alice.public_key(), isk_b, prologue).value());
        return r;
    }
};

// Runs the three handshake messages; the first error, from either side.
Status handshake(Ends& r) {
    auto m1 = r.invitee->start();
    if (!m1) return m1.error();
    auto m2 = r.inviter->on_handshake(*m1);
    if (!m2) return m2.error();
    auto m3 = r.invitee->on_handshake(**m2);
    if (!m3) return m3.error();
    auto end = r.inviter->on_handshake(**m3);
    if (!end) return end.error();
    EXPECT_FALSE(end->has_value());
    return {};
}

TEST(DirectChannelTest, MatchingCodeGivesOneChannel) {
    Parties p;
    Ends r = p.run("7-tulip-harbor", "7 Tulip harbor");
    ASSERT_TRUE(handshake(r));
    ASSERT_TRUE(r.inviter->established() && r.invitee->established());
    EXPECT_EQ(r.inviter->handshake_hash(), r.invitee->handshake_hash());

    v1::DirectChannelMessage m;
    m.mutable_acceptance()->set_invitee_account("bob");
    auto frame = r.invitee->seal(m);
    ASSERT_TRUE(frame);
    auto opened = r.inviter->open(*frame);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(opened->acceptance().invitee_account(), "bob");
    // The same frame again: the nonce has moved on, so a replay does not open.
    EXPECT_FALSE(r.inviter->open(*frame));
}

TEST(DirectChannelTest, WrongCodeFailsAtTheInviter) {
    Parties p;
    Ends r = p.run("7-tulip-harbor", "8-tulip-harbor");
    auto s = handshake(r);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message, "invitation code does not match");
    EXPECT_FALSE(r.inviter->established());
}

TEST(DirectChannelTest, SubstitutedInviteeKeyIsCaughtWithoutTheCode) {
    // GMS and relay together hand the inviter mallory's key as bob's; mallory does not know the
    // code, so she runs CPace with a guess: the inviter's CI names mallory, bob's names bob, and
    // the runs disagree.
    Parties p;
    const auto mallory = crypto::SigningKey::generate();
    const auto mk = mallory.public_key();
    Ends r = p.run("7-tulip-harbor", "7-tulip-harbor", &mk, &mk);
    auto s = handshake(r);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message, "invitation code does not match");
}

TEST(DirectChannelTest, StaticKeyOtherThanTheGmsOneIsNamed) {
    Parties p;
    const auto carol = crypto::SigningKey::generate();
    const auto ck = carol.public_key();
    Ends r = p.run("7-tulip-harbor", "7-tulip-harbor", nullptr, &ck);
    auto s = handshake(r);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("the peer's static key x25519:"), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("differs from the one in the GMS's identity statement x25519:"),
              std::string::npos);
}

TEST(DirectChannelTest, TamperedAndOversizedFramesAreRefused) {
    Parties p;
    Ends r = p.run("7-tulip-harbor", "7-tulip-harbor");
    ASSERT_TRUE(handshake(r));
    v1::DirectChannelMessage m;
    m.set_rn1_received(true);
    auto frame = *r.invitee->seal(m);
    frame[0] ^= 1;
    EXPECT_FALSE(r.inviter->open(frame));
    EXPECT_FALSE(r.inviter->open(Bytes(kDirectChannelMessageMaxBytes + 1, 0)));
    EXPECT_FALSE(r.invitee->start());  // out of turn after the handshake
}

}  // namespace
}  // namespace twofold::member
