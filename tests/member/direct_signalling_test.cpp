// The direct route's signalling (docs/direct-route.md §3): an offer and an answer verify for the
// right parties; an altered, replayed, expired, misaddressed or oversized one is refused with
// its reason; a relay that swaps candidates or keys is caught.
#include "member/direct_signalling.h"

#include <gtest/gtest.h>

#include "wire/statement.h"

namespace twofold::member {
namespace {

constexpr std::uint64_t kNow = 1'800'000'000;

v1::DirectIce ice(const std::string& tag) {
    v1::DirectIce i;
    i.set_ufrag("uf" + tag + "xx");
    i.set_pwd("password-of-ice-" + tag + "-0123456789");
    i.add_candidates("1 1 UDP 2013266431 127.0.0.1 40" + tag + " typ host");
    return i;
}

struct Parties {
    crypto::SigningKey gms = crypto::SigningKey::generate();
    crypto::SigningKey alice = crypto::SigningKey::generate();
    crypto::SigningKey bob = crypto::SigningKey::generate();
    Bytes group = Bytes(16, 0x42);
    Bytes nonce = Bytes(16, 0x07);
    crypto::GroupName name = *crypto::GroupName::parse("ops");

    v1::MembershipStatement statement(bool may_invite = true) const {
        v1::MembershipStatement st;
        st.set_group_id(as_string(group));
        st.set_epoch(3);
        st.set_identity_key(as_string(alice.public_key()));
        st.set_account("alice");
        st.mutable_rights()->set_may_invite(may_invite);
        st.set_expires_unix(kNow + 3600);
        wire::sign_statement(st, gms);
        return st;
    }

    v1::DirectOffer offer(std::uint32_t attempt = 1, bool may_invite = true) const {
        DirectOfferInputs in;
        in.inviter_account = "alice";
        in.group_id = group;
        in.invitation_nonce = nonce;
        in.invitee_key = bob.public_key();
        in.attempt = attempt;
        in.expires_unix = kNow + 600;
        in.group_name = &name;
        in.ice = ice("11");
        in.cpace_point.fill(0x11);
        in.inviter_statement = statement(may_invite);
        return *make_direct_offer(alice, in);
    }

    v1::DirectAnswer answer(const v1::DirectOffer& o) const {
        handshake::CpacePoint yb;
        yb.fill(0x22);
        return make_direct_answer(bob, o, ice("22"), yb);
    }

    Status verify(const v1::DirectOffer& o) const { return verify_direct_offer(o, bob.public_key(), gms.public_key(), kNow); }
};

void expect_refused(const Status& s, const std::string& part) {
    ASSERT_FALSE(s) << "expected a refusal naming: " << part;
    EXPECT_NE(s.error().message.find(part), std::string::npos) << s.error().message;
}

TEST(DirectSignallingTest, OfferAndAnswerVerify) {
    Parties p;
    const auto o = p.offer();
    EXPECT_TRUE(p.verify(o));
    EXPECT_TRUE(check_offer_fresh(o, 0));
    EXPECT_TRUE(verify_direct_answer(p.answer(o), o));
}

TEST(DirectSignallingTest, SwappedCandidatesAreCaught) {
    Parties p;
    auto o = p.offer();
    o.mutable_ice()->set_candidates(0, "1 1 UDP 2013266431 127.0.0.1 6666 typ host");
    expect_refused(p.verify(o), "direct offer signature does not verify");

    const auto good = p.offer();
    auto a = p.answer(good);
    a.mutable_ice()->add_candidates("2 1 UDP 1 127.0.0.1 7777 typ host");
    expect_refused(verify_direct_answer(a, good), "direct answer signature does not verify");
}

TEST(DirectSignallingTest, SwappedKeysAreCaught) {
    Parties p;
    const auto mallory = crypto::SigningKey::generate();
    // A relay that re-signs the offer with its own key: the GMS's statement names alice's key.
    auto o = p.offer();
    o.set_inviter_key(as_string(mallory.public_key()));
    expect_refused(p.verify(o), "direct offer signature does not verify");
    // An answer from another key than the one the GMS registered for the invitee.
    const auto good = p.offer();
    const auto forged = make_direct_answer(mallory, good, ice("33"), handshake::CpacePoint{});
    expect_refused(verify_direct_answer(forged, good), "differs from the key the GMS registered for the invitee");
    // A CPace point swapped in transit.
    auto a = p.answer(good);
    a.set_cpace_point(std::string(32, 0x33));
    expect_refused(verify_direct_answer(a, good), "direct answer signature does not verify");
}

TEST(DirectSignallingTest, AnswerToAnAlteredOfferIsCaught) {
    Parties p;
    const auto sent = p.offer();
    auto seen = sent;  // what the invitee got: a relay altered its expiry (and re-signed nothing)
    seen.set_expires_unix(sent.expires_unix() + 1);
    expect_refused(verify_direct_answer(p.answer(seen), sent), "direct answer answers another offer");
}

TEST(DirectSignallingTest, ReplaysAreRefused) {
    Parties p;
    const auto first = p.offer(1);
    expect_refused(check_offer_fresh(first, 1), "replayed direct offer: attempt 1");
    const auto second = p.offer(2);
    EXPECT_TRUE(check_offer_fresh(second, 1));
    // The first attempt's answer, replayed while the second offer is outstanding.
    expect_refused(verify_direct_answer(p.answer(first), second), "replayed direct answer: it answers attempt 1");
}

TEST(DirectSignallingTest, ExpiredOrMisaddressedOrUnauthorisedOffersAreRefused) {
    Parties p;
    const auto o = p.offer();
    expect_refused(verify_direct_offer(o, p.bob.public_key(), p.gms.public_key(), o.expires_unix()), "expired");
    const auto carol = crypto::SigningKey::generate();
    expect_refused(verify_direct_offer(o, carol.public_key(), p.gms.public_key(), kNow), "addressed to another");
    expect_refused(p.verify(p.offer(1, false)), "lacks may_invite");
    auto other_gms = o;
    wire::sign_statement(*other_gms.mutable_inviter_statement(), carol);
    EXPECT_FALSE(p.verify(other_gms));
}

TEST(DirectSignallingTest, BoundsAreChecked) {
    Parties p;
    auto o = p.offer();
    o.set_attempt(4);
    expect_refused(p.verify(o), "attempt must be 1-3");
    o = p.offer();
    o.mutable_ice()->set_ufrag("a\r\nb");
    expect_refused(p.verify(o), "non-printable");
    o = p.offer();
    for (int i = 0; i < 40; ++i) o.mutable_ice()->add_candidates("x");
    expect_refused(p.verify(o), "above 32");
    o = p.offer();
    o.set_cpace_point("short");
    expect_refused(p.verify(o), "CPace point must be 32 bytes");
    o = p.offer();
    o.mutable_ice()->clear_candidates();
    expect_refused(p.verify(o), "names no ICE candidate");
}

TEST(DirectSignallingTest, PrologueBindsOfferAndAnswer) {
    Parties p;
    const auto o = p.offer();
    const auto a = p.answer(o);
    auto o2 = o;
    o2.set_attempt(2);
    EXPECT_EQ(direct_noise_prologue(o, a), direct_noise_prologue(o, a));
    EXPECT_NE(direct_noise_prologue(o, a), direct_noise_prologue(o2, a));
    EXPECT_NE(direct_cpace_sid(o.invitation_nonce(), 1), direct_cpace_sid(o.invitation_nonce(), 2));
}

}  // namespace
}  // namespace twofold::member
