// GMS-signed rekeys: the canonical bytes, and that any change to what a member acts on breaks
// the signature.
#include "wire/signed_rekey.h"

#include <gtest/gtest.h>

#include "wire/statement.h"
#include "wire/validate.h"

namespace twofold::wire {
namespace {

v1::Rekey sample_rekey() {
    v1::Rekey r;
    r.set_group_id(std::string(kGroupIdBytes, '\x07'));
    r.set_epoch(5);
    r.set_membership_epoch(3);
    r.set_lkh_message("lkh bytes");
    auto* e = r.add_events();
    e->set_account("bob");
    e->set_change(v1::MemberNotification::CHANGE_ADD);
    e->mutable_rights()->set_may_invite(true);
    e->set_identity_key(std::string(kIdentityKeyBytes, '\x02'));
    return r;
}

TEST(SignedRekey, SignedBytesAreTheDocumentedLayout) {
    const Bytes b = rekey_signed_bytes(sample_rekey());
    const std::string label = "twofold/v1 rekey";
    ASSERT_EQ(b.size(), label.size() + 1 + 16 + 8 + 8 + 4 + 9 + 2 + (1 + 3 + 1 + 1 + 32));
    EXPECT_EQ(std::string(b.begin(), b.begin() + static_cast<long>(label.size())), label);
    EXPECT_EQ(b[label.size()], 0x00);
    std::size_t at = label.size() + 1 + 16;
    EXPECT_EQ(b[at + 7], 5);       // rn2 epoch, big-endian
    EXPECT_EQ(b[at + 15], 3);      // membership epoch
    EXPECT_EQ(b[at + 19], 9);      // lkh length
    at += 8 + 8 + 4 + 9;
    EXPECT_EQ(b[at + 1], 1);       // one event
    EXPECT_EQ(b[at + 2], 3);       // account length
    EXPECT_EQ(b[at + 6], v1::MemberNotification::CHANGE_ADD);
    EXPECT_EQ(b[at + 7], 1);       // may_invite
}

TEST(SignedRekey, VerifiesWithTheGmsKeyAndRoundTripsAsBytes) {
    const auto gms = crypto::SigningKey::generate();
    const v1::SignedRekey signed_rekey = sign_rekey(sample_rekey(), gms);
    EXPECT_TRUE(verify_rekey(signed_rekey, gms.public_key()).ok());
    const std::string encoded = signed_rekey.SerializeAsString();
    auto back = parse_signed_rekey(as_bytes(encoded), gms.public_key());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->rekey().epoch(), 5u);
}

TEST(SignedRekey, AnotherKeyIsRefused) {
    const auto gms = crypto::SigningKey::generate();
    const auto other = crypto::SigningKey::generate();
    const auto s = verify_rekey(sign_rekey(sample_rekey(), other), gms.public_key());
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::auth_failed);
    EXPECT_NE(s.error().message.find("rekey signature does not verify"), std::string::npos);
}

TEST(SignedRekey, EveryFieldAMemberActsOnIsCovered) {
    const auto gms = crypto::SigningKey::generate();
    const v1::SignedRekey good = sign_rekey(sample_rekey(), gms);
    const std::vector<std::function<void(v1::Rekey&)>> edits = {
        [](v1::Rekey& r) { r.set_group_id(std::string(kGroupIdBytes, '\x08')); },
        [](v1::Rekey& r) { r.set_epoch(6); },
        [](v1::Rekey& r) { r.set_membership_epoch(4); },
        [](v1::Rekey& r) { r.set_lkh_message("lkh bytez"); },
        [](v1::Rekey& r) { r.mutable_events(0)->set_account("eve"); },
        [](v1::Rekey& r) { r.mutable_events(0)->set_change(v1::MemberNotification::CHANGE_REMOVE); },
        [](v1::Rekey& r) { r.mutable_events(0)->mutable_rights()->set_may_remove(true); },
        [](v1::Rekey& r) { r.mutable_events(0)->set_identity_key(std::string(kIdentityKeyBytes, '\x03')); },
        [](v1::Rekey& r) { r.clear_events(); },
    };
    for (std::size_t i = 0; i < edits.size(); ++i) {
        v1::SignedRekey forged = good;
        edits[i](*forged.mutable_rekey());
        const auto s = verify_rekey(forged, gms.public_key());
        ASSERT_FALSE(s.ok()) << "edit " << i;
        EXPECT_EQ(s.error().code, Errc::auth_failed) << "edit " << i;
    }
}

TEST(SignedRekey, AStatementSignatureNeverVerifiesAsARekey) {
    // Domain separation: the GMS signs statements and rekeys with one key.
    const auto gms = crypto::SigningKey::generate();
    v1::MembershipStatement st;
    st.set_group_id(std::string(kGroupIdBytes, '\x07'));
    st.set_epoch(5);
    st.set_identity_key(std::string(kIdentityKeyBytes, '\x02'));
    st.set_account("bob");
    st.set_expires_unix(100);
    sign_statement(st, gms);
    v1::SignedRekey forged;
    *forged.mutable_rekey() = sample_rekey();
    forged.set_gms_signature(st.gms_signature());
    EXPECT_EQ(verify_rekey(forged, gms.public_key()).error().code, Errc::auth_failed);
}

TEST(SignedRekey, MalformedShapesNameTheirField) {
    const auto gms = crypto::SigningKey::generate();
    auto refusal = [&](const std::function<void(v1::SignedRekey&)>& edit) {
        v1::SignedRekey r = sign_rekey(sample_rekey(), gms);
        edit(r);
        const auto s = verify_rekey(r, gms.public_key());
        return s.ok() ? std::string("accepted") : s.error().message;
    };
    EXPECT_NE(refusal([](v1::SignedRekey& r) { r.clear_rekey(); }).find("carries no rekey"), std::string::npos);
    EXPECT_NE(refusal([](v1::SignedRekey& r) { r.mutable_rekey()->set_group_id("short"); }).find("group_id"),
              std::string::npos);
    EXPECT_NE(refusal([](v1::SignedRekey& r) { r.mutable_rekey()->set_epoch(0); }).find("epoch"), std::string::npos);
    EXPECT_NE(refusal([](v1::SignedRekey& r) { r.mutable_rekey()->clear_lkh_message(); }).find("lkh_message"),
              std::string::npos);
    EXPECT_NE(refusal([](v1::SignedRekey& r) { r.mutable_rekey()->set_lkh_message(std::string(kRekeyLkhMaxBytes + 1, 'x')); })
                  .find("exceeds"),
              std::string::npos);
    EXPECT_NE(refusal([](v1::SignedRekey& r) { r.mutable_rekey()->mutable_events(0)->set_identity_key("k"); })
                  .find("events[0].identity_key"),
              std::string::npos);
    EXPECT_NE(refusal([](v1::SignedRekey& r) { r.mutable_rekey()->mutable_events(0)->set_account(""); })
                  .find("events[0]"),
              std::string::npos);
    EXPECT_NE(refusal([](v1::SignedRekey& r) { r.set_gms_signature("sig"); }).find("64 bytes"), std::string::npos);
    const std::string garbage = "\xff\xff\xff";
    EXPECT_EQ(parse_signed_rekey(as_bytes(garbage), gms.public_key()).error().code, Errc::malformed);
}

}  // namespace
}  // namespace twofold::wire
