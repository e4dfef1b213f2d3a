// The invitation flow's signed messages (Fig. 7) and the withdrawal (Fig. 6): each check refuses
// with the reason, and a relay that swaps keys is caught.
#include "member/signed_messages.h"

#include <gtest/gtest.h>

#include "wire/statement.h"

namespace twofold::member {
namespace {

constexpr std::uint64_t kNow = 1'800'000'000;

struct Parties {
    crypto::SigningKey gms = crypto::SigningKey::generate();
    crypto::SigningKey alice = crypto::SigningKey::generate();
    crypto::SigningKey bob = crypto::SigningKey::generate();
    Bytes group = Bytes(16, 0x42);

    v1::MembershipStatement statement_for(const crypto::SigningKey& who, const std::string& account, bool may_invite,
                                          bool may_remove, std::uint64_t expires = kNow + 3600) const {
        v1::MembershipStatement st;
        st.set_group_id(std::string(group.begin(), group.end()));
        st.set_epoch(3);
        st.set_identity_key(std::string(who.public_key().begin(), who.public_key().end()));
        st.set_account(account);
        st.mutable_rights()->set_may_invite(may_invite);
        st.mutable_rights()->set_may_remove(may_remove);
        st.set_expires_unix(expires);
        wire::sign_statement(st, gms);
        return st;
    }

    v1::Invitation invitation(v1::Rights rights, const v1::MembershipStatement& st) const {
        return *make_invitation(alice, "alice", group, *crypto::GroupName::parse("ops"), rights, bob.public_key(), st);
    }
};

v1::Rights rights(bool invite, bool remove) {
    v1::Rights r;
    r.set_may_invite(invite);
    r.set_may_remove(remove);
    return r;
}

TEST(InvitationTest, VerifiesForItsInvitee) {
    Parties p;
    const auto inv = p.invitation(rights(true, false), p.statement_for(p.alice, "alice", true, true));
    EXPECT_TRUE(verify_invitation(inv, p.bob.public_key(), p.gms.public_key(), kNow));
}

TEST(InvitationTest, AddressedToAnotherKeyIsRefused) {
    Parties p;
    const auto inv = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", true, false));
    const auto carol = crypto::SigningKey::generate();
    auto s = verify_invitation(inv, carol.public_key(), p.gms.public_key(), kNow);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("addressed to another identity key"), std::string::npos);
}

TEST(InvitationTest, TamperedRightsBreakTheSignature) {
    Parties p;
    auto inv = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", true, true));
    inv.mutable_rights()->set_may_remove(true);
    auto s = verify_invitation(inv, p.bob.public_key(), p.gms.public_key(), kNow);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::auth_failed);
}

TEST(InvitationTest, StatementMustComeFromTheGms) {
    Parties p;
    const auto inv = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", true, true));
    const auto other_gms = crypto::SigningKey::generate();
    auto s = verify_invitation(inv, p.bob.public_key(), other_gms.public_key(), kNow);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::auth_failed);
    EXPECT_NE(s.error().message.find("inviter's membership statement"), std::string::npos);
}

TEST(InvitationTest, InviterWithoutMayInviteIsRefused) {
    Parties p;
    const auto inv = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", false, true));
    auto s = verify_invitation(inv, p.bob.public_key(), p.gms.public_key(), kNow);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("lacks may_invite"), std::string::npos);
}

TEST(InvitationTest, GrantingARightTheInviterLacksIsRefused) {
    Parties p;
    const auto inv = p.invitation(rights(true, true), p.statement_for(p.alice, "alice", true, false));
    auto s = verify_invitation(inv, p.bob.public_key(), p.gms.public_key(), kNow);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("rights its inviter does not hold"), std::string::npos);
}

TEST(InvitationTest, StatementOfAnotherMemberIsRefused) {
    Parties p;
    const auto carol = crypto::SigningKey::generate();
    const auto inv = p.invitation(rights(false, false), p.statement_for(carol, "carol", true, true));
    auto s = verify_invitation(inv, p.bob.public_key(), p.gms.public_key(), kNow);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::forbidden);
}

TEST(InvitationTest, ExpiredStatementIsRefused) {
    Parties p;
    const auto inv = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", true, true, kNow - 1));
    auto s = verify_invitation(inv, p.bob.public_key(), p.gms.public_key(), kNow);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::stale_epoch);
}

// The invitee sees the group's name; only its identity key opens it, and the inviter signs it.
TEST(InvitationTest, GroupNameOpensForTheInviteeOnly) {
    Parties p;
    const auto inv = p.invitation(rights(true, false), p.statement_for(p.alice, "alice", true, true));
    auto name = open_invitation_group_name(inv, p.bob);
    ASSERT_TRUE(name);
    EXPECT_EQ(name->str(), "ops");
    EXPECT_EQ(inv.sealed_group_name().find("ops"), std::string::npos);  // not in the clear

    auto wrong = open_invitation_group_name(inv, p.alice);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, Errc::auth_failed);
}

TEST(InvitationTest, SwappedGroupNameBreaksTheSignature) {
    Parties p;
    auto inv = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", true, true));
    const auto other = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", true, true));
    inv.set_sealed_group_name(other.sealed_group_name());  // a relay swapping in another sealed name
    auto s = verify_invitation(inv, p.bob.public_key(), p.gms.public_key(), kNow);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::auth_failed);
}

TEST(InvitationTest, TamperedSealedGroupNameDoesNotOpen) {
    Parties p;
    auto inv = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", true, true));
    std::string sealed = inv.sealed_group_name();
    sealed.back() = static_cast<char>(sealed.back() ^ 1);
    inv.set_sealed_group_name(sealed);
    EXPECT_FALSE(verify_invitation(inv, p.bob.public_key(), p.gms.public_key(), kNow));
    EXPECT_EQ(open_invitation_group_name(inv, p.bob).error().code, Errc::auth_failed);
}

TEST(AcceptanceTest, AnswersTheInvitation) {
    Parties p;
    const auto inv = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", true, true));
    EXPECT_TRUE(verify_acceptance(make_acceptance(p.bob, "bob", inv), inv));
}

// A relay that swaps the invitee's key for its own: the acceptance is well signed, but by a key
// other than the one the GMS registered for the account.
TEST(AcceptanceTest, SwappedKeyIsCaught) {
    Parties p;
    const auto inv = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", true, true));
    const auto mallory = crypto::SigningKey::generate();
    auto s = verify_acceptance(make_acceptance(mallory, "bob", inv), inv);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("differs from the key the GMS registered for bob"), std::string::npos);
}

TEST(AcceptanceTest, OtherInvitationOrForgedSignatureIsRefused) {
    Parties p;
    const auto inv = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", true, true));
    const auto other = p.invitation(rights(false, false), p.statement_for(p.alice, "alice", true, true));
    EXPECT_EQ(verify_acceptance(make_acceptance(p.bob, "bob", other), inv).error().code, Errc::unknown);
    auto forged = make_acceptance(p.bob, "bob", inv);
    forged.set_invitee_account("bobby");
    EXPECT_EQ(verify_acceptance(forged, inv).error().code, Errc::auth_failed);
}

TEST(Rn1DeliveryTest, OpensForItsRecipientOnly) {
    Parties p;
    const crypto::Rn1 rn1 = crypto::make_rn1();
    auto name = crypto::GroupName::parse("project ü");
    ASSERT_TRUE(name);
    auto d = make_rn1_delivery(p.alice, p.group, 4, Bytes(16, 1), rn1, *name, p.bob.public_key());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->sealed().find("project"), std::string::npos);  // sealed, not in the clear

    auto opened = open_rn1_delivery(*d, p.bob);
    ASSERT_TRUE(opened);
    EXPECT_TRUE(opened->rn1 == rn1);
    EXPECT_EQ(opened->name.str(), "project ü");

    auto wrong = open_rn1_delivery(*d, crypto::SigningKey::generate());
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, Errc::auth_failed);
}

TEST(Rn1DeliveryTest, TamperedGenerationOrSealIsRefused) {
    Parties p;
    auto name = crypto::GroupName::parse("g");
    ASSERT_TRUE(name);
    auto d = make_rn1_delivery(p.alice, p.group, 1, {}, crypto::make_rn1(), *name, p.bob.public_key());
    ASSERT_TRUE(d);
    auto bumped = *d;
    bumped.set_rn1_generation(2);
    EXPECT_EQ(open_rn1_delivery(bumped, p.bob).error().code, Errc::auth_failed);
    auto flipped = *d;
    flipped.mutable_sealed()->at(40) ^= 1;
    EXPECT_EQ(open_rn1_delivery(flipped, p.bob).error().code, Errc::auth_failed);
    auto short_key = *d;
    short_key.set_sender_key("abc");
    EXPECT_EQ(open_rn1_delivery(short_key, p.bob).error().code, Errc::malformed);
}

TEST(WithdrawalTest, SignedBySender) {
    Parties p;
    auto w = make_withdrawal(p.alice, p.group, p.bob.public_key(), "bob", 7);
    EXPECT_TRUE(verify_withdrawal(w));
    w.set_epoch(8);
    EXPECT_EQ(verify_withdrawal(w).error().code, Errc::auth_failed);
}

}  // namespace
}  // namespace twofold::member
