// Bad input over real TLS: truncated, oversized, garbage, wrong message types, replayed
// requests. Each gets a typed error naming the problem, and the server keeps serving.
#include "gms_fixture.h"
#include "wire/frame.h"

namespace twofold::gms::testing {
namespace {

class GmsMalformed : public GmsFixture {
  protected:
    ServiceOptions options() override {
        ServiceOptions o = GmsFixture::options();
        o.core.requests_per_second = 20;
        o.core.request_burst = 40;
        return o;
    }
    v1::GmsResponse answer(net::TlsClient& t) {
        auto frame = t.receive(5s);
        EXPECT_TRUE(frame.ok()) << frame.error().message;
        v1::GmsResponse r;
        if (frame.ok()) {
            EXPECT_TRUE(r.ParseFromArray(frame->data(), static_cast<int>(frame->size())));
        }
        return r;
    }
    void expect_still_serving() {
        Member m = member("still-" + std::to_string(++probes_));
        EXPECT_TRUE(m.client->create_group(new_group_id(), {}).ok());
    }
    int probes_ = 0;
};
TWOFOLD_ON_EVERY_STORE(GmsMalformed);

TEST_P(GmsMalformed, GarbageAfterTheHandshakeIsMalformedAndKeepsTheConnection) {
    auto c = connect();
    const Bytes garbage = {0xff, 0xff, 0xff, 0x01, 0x02};
    ASSERT_TRUE(c->transport().send(garbage).ok());
    auto r = answer(c->transport());
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code(), v1::ERROR_CODE_MALFORMED);
    EXPECT_NE(r.error().message().find("GmsRequest"), std::string::npos);
    // Same connection, a good request still works.
    EXPECT_TRUE(c->register_account("dave", "password-dave", crypto::SigningKey::generate().public_key()).ok());
    expect_still_serving();
}

TEST_P(GmsMalformed, OversizedFrameIsTooLargeThenClosed) {
    auto c = connect();
    const Bytes header = {0x7f, 0x00, 0x00, 0x00};
    ASSERT_TRUE(c->transport().send_raw(header).ok());
    auto r = answer(c->transport());
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code(), v1::ERROR_CODE_TOO_LARGE);
    EXPECT_FALSE(c->transport().receive(5s).ok());
    expect_still_serving();
}

TEST_P(GmsMalformed, TruncatedFrameThenHangupDoesNotDisturbOthers) {
    auto c = connect();
    const Bytes partial = {0x00, 0x00, 0x01, 0x00, 0x0a, 0x0b};
    ASSERT_TRUE(c->transport().send_raw(partial).ok());
    c.reset();
    expect_still_serving();
}

TEST_P(GmsMalformed, WrongMessageTypeAndBadFieldsAreNamed) {
    auto c = connect();
    v1::GmsRequest empty;
    empty.set_request_id(5);
    std::string bytes = empty.SerializeAsString();
    ASSERT_TRUE(c->transport().send(as_bytes(bytes)).ok());
    auto r = answer(c->transport());
    EXPECT_EQ(r.request_id(), 5u);
    EXPECT_NE(r.error().message().find("no body"), std::string::npos);

    // A response type sent as a request is not a request.
    v1::GmsResponse wrong;
    wrong.mutable_welcome()->set_group_id("x");
    bytes = wrong.SerializeAsString();
    ASSERT_TRUE(c->transport().send(as_bytes(bytes)).ok());
    r = answer(c->transport());
    EXPECT_TRUE(r.has_error());

    v1::GmsRequest bad;
    bad.set_request_id(6);
    bad.mutable_create_group()->set_group_id("short");
    bytes = bad.SerializeAsString();
    ASSERT_TRUE(c->transport().send(as_bytes(bytes)).ok());
    r = answer(c->transport());
    EXPECT_EQ(r.error().code(), v1::ERROR_CODE_MALFORMED);
    EXPECT_NE(r.error().message().find("create_group.group_id"), std::string::npos);
    expect_still_serving();
}

TEST_P(GmsMalformed, ReplayedChangesAreRefused) {
    Member alice = member("alice");
    member("bob");
    const Bytes gid = new_group_id();
    ASSERT_TRUE(alice.client->create_group(gid, {}).ok());
    v1::GmsRequest add;
    auto* n = add.mutable_member_notification();
    n->set_group_id(std::string(gid.begin(), gid.end()));
    n->set_change(v1::MemberNotification::CHANGE_ADD);
    n->set_account("bob");
    ASSERT_TRUE(alice.client->call(add).ok());
    auto replay = alice.client->call(add);
    ASSERT_FALSE(replay.ok());
    EXPECT_NE(replay.error().message.find("already a member"), std::string::npos);
    // A replayed create is a conflict, a replayed ack is harmless and changes nothing.
    EXPECT_FALSE(alice.client->create_group(gid, {}).ok());
}

TEST_P(GmsMalformed, RequestFloodIsRateLimitedPerAccount) {
    Member alice = member("alice");
    int limited = 0;
    for (int i = 0; i < 200 && limited == 0; ++i) {
        auto r = alice.client->lookup("alice");
        if (!r.ok() && r.error().code == Errc::rate_limited) ++limited;
    }
    EXPECT_GT(limited, 0);
    expect_still_serving();
}

}  // namespace
}  // namespace twofold::gms::testing
