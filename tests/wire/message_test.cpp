// Messages through frames, and the size checks protobuf itself cannot make.
#include "wire/message.h"
#include "wire/validate.h"

#include <gtest/gtest.h>

#include <functional>

namespace twofold::wire {
namespace {

v1::GmsRequest sample_register() {
    v1::GmsRequest r;
    r.set_request_id(7);
    auto* reg = r.mutable_register_();
    reg->set_account("alice");
    reg->set_password("correct horse");
    reg->set_identity_key(std::string(kIdentityKeyBytes, '\x01'));
    return r;
}

TEST(Message, RoundTripsThroughAFrame) {
    const auto frame = encode_message(sample_register());
    ASSERT_TRUE(frame.ok());
    const auto payload = decode_single_frame(*frame);
    ASSERT_TRUE(payload.ok());
    const auto back = parse_message<v1::GmsRequest>(*payload);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->request_id(), 7u);
    EXPECT_EQ(back->register_().account(), "alice");
    EXPECT_TRUE(validate(*back).ok());
}

TEST(Message, GarbageIsMalformedAndNamesTheType) {
    const Bytes garbage = {0xff, 0xff, 0xff, 0xff, 0xff, 0x0f};
    const auto r = parse_message<v1::GmsRequest>(garbage);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::malformed);
    EXPECT_NE(r.error().message.find("GmsRequest"), std::string::npos);
}

TEST(Message, TruncatedEncodingIsMalformed) {
    const Bytes frame = *encode_message(sample_register());
    const ByteView payload = ByteView(frame).subspan(kFrameHeaderBytes);
    int rejected = 0;
    for (std::size_t cut = 1; cut < payload.size(); ++cut) {
        const auto r = parse_message<v1::GmsRequest>(payload.first(cut));
        // Some prefixes are themselves valid encodings (a field boundary); those must then fail
        // validation or differ from the original, never crash.
        if (!r.ok()) {
            EXPECT_EQ(r.error().code, Errc::malformed);
            ++rejected;
        }
    }
    EXPECT_GT(rejected, 0);
}

TEST(Message, EncodeRefusesAMessageAboveTheFrameMaximum) {
    v1::GmsRequest r = sample_register();
    r.mutable_register_()->set_password(std::string(2000, 'x'));
    const auto frame = encode_message(r, 1000);
    ASSERT_FALSE(frame.ok());
    EXPECT_EQ(frame.error().code, Errc::too_large);
}

TEST(Validate, WrongSizedFieldsAreNamed) {
    v1::GmsRequest r = sample_register();
    r.mutable_register_()->set_identity_key("short");
    const Status s = validate(r);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::malformed);
    EXPECT_NE(s.error().message.find("register.identity_key"), std::string::npos);
}

TEST(Validate, RequestWithoutBodyIsRejected) {
    v1::GmsRequest r;
    EXPECT_NE(validate(r).error().message.find("no body"), std::string::npos);
}

TEST(Validate, AccountNamesAreRestricted) {
    for (const char* bad : {"", "a b", "evil\n", "x/y"}) {
        v1::GmsRequest r = sample_register();
        r.mutable_register_()->set_account(bad);
        EXPECT_FALSE(validate(r).ok()) << bad;
    }
    v1::GmsRequest r = sample_register();
    r.mutable_register_()->set_account(std::string(kAccountMaxBytes + 1, 'a'));
    EXPECT_FALSE(validate(r).ok());
}

TEST(Validate, GroupMessageNeedsEveryFixedSizeField) {
    v1::GroupMessage m;
    EXPECT_NE(validate(m).error().message.find("no header"), std::string::npos);
    auto* h = m.mutable_header();
    h->set_group_id(std::string(kGroupIdBytes, 'g'));
    h->set_sender_key(std::string(kIdentityKeyBytes, 's'));
    h->set_key_confirmation_id(std::string(kKeyConfirmationIdBytes, 'k'));
    h->set_nonce(std::string(kMessageNonceBytes, 'n'));
    m.set_signature(std::string(kSignatureBytes, 'z'));
    EXPECT_TRUE(validate(m).ok());
    h->set_nonce(std::string(12, 'n'));
    EXPECT_NE(validate(m).error().message.find("header.nonce"), std::string::npos);
}

TEST(Validate, MemberNotificationNeedsAChange) {
    v1::GmsRequest r;
    auto* n = r.mutable_member_notification();
    n->set_group_id(std::string(kGroupIdBytes, 'g'));
    n->set_account("bob");
    EXPECT_NE(validate(r).error().message.find("change"), std::string::npos);
    n->set_change(v1::MemberNotification::CHANGE_ADD);
    EXPECT_TRUE(validate(r).ok());
}

TEST(Validate, RelayPublishNeedsAStatement) {
    v1::RelayRequest r;
    r.mutable_publish()->mutable_envelope()->set_type(v1::ENVELOPE_TYPE_GROUP_MESSAGE);
    EXPECT_NE(validate(r).error().message.find("statement"), std::string::npos);
}

}  // namespace
}  // namespace twofold::wire

#include "wire/statement.h"

namespace twofold::wire {
namespace {

v1::MembershipStatement sample_statement() {
    v1::MembershipStatement s;
    s.set_group_id(std::string(kGroupIdBytes, 'g'));
    s.set_epoch(9);
    s.set_identity_key(std::string(kIdentityKeyBytes, 'i'));
    s.set_account("carol");
    s.mutable_rights()->set_may_invite(true);
    s.set_expires_unix(2000);
    return s;
}

TEST(Statement, SignedStatementVerifies) {
    const auto gms = crypto::SigningKey::generate();
    auto s = sample_statement();
    sign_statement(s, gms);
    EXPECT_TRUE(verify_statement(s, gms.public_key(), 1000).ok());
}

TEST(Statement, EveryFieldIsCovered) {
    const auto gms = crypto::SigningKey::generate();
    auto base = sample_statement();
    sign_statement(base, gms);
    std::vector<std::function<void(v1::MembershipStatement&)>> edits = {
        [](auto& s) { s.set_group_id(std::string(kGroupIdBytes, 'h')); },
        [](auto& s) { s.set_epoch(10); },
        [](auto& s) { s.set_identity_key(std::string(kIdentityKeyBytes, 'j')); },
        [](auto& s) { s.set_account("carl"); },
        [](auto& s) { s.mutable_rights()->set_may_remove(true); },
        [](auto& s) { s.mutable_rights()->set_may_invite(false); },
        [](auto& s) { s.set_expires_unix(3000); },
    };
    for (std::size_t i = 0; i < edits.size(); ++i) {
        auto s = base;
        edits[i](s);
        const Status st = verify_statement(s, gms.public_key(), 1000);
        ASSERT_FALSE(st.ok()) << "edit " << i;
        EXPECT_EQ(st.error().code, Errc::auth_failed) << "edit " << i;
    }
}

TEST(Statement, WrongKeyExpiryAndShapeAreDistinctErrors) {
    const auto gms = crypto::SigningKey::generate();
    const auto other = crypto::SigningKey::generate();
    auto s = sample_statement();
    sign_statement(s, gms);
    EXPECT_EQ(verify_statement(s, other.public_key(), 1000).error().code, Errc::auth_failed);
    EXPECT_EQ(verify_statement(s, gms.public_key(), 2000).error().code, Errc::stale_epoch);
    s.set_identity_key("short");
    EXPECT_EQ(verify_statement(s, gms.public_key(), 1000).error().code, Errc::malformed);
}

}  // namespace
}  // namespace twofold::wire
