#include "mqtt_auth/envelope_stamp.h"

#include <gtest/gtest.h>

#include "twofold/v1/relay.pb.h"

namespace twofold::mqtt_auth {
namespace {

const std::string kGroup(16, 'g');

std::string group_envelope(std::string payload) {
    v1::Envelope e;
    e.set_type(v1::ENVELOPE_TYPE_GROUP_MESSAGE);
    e.set_sender_key(std::string(32, 's'));
    e.set_group_id(kGroup);
    e.set_payload(std::move(payload));
    return e.SerializeAsString();
}

TEST(EnvelopeStamp, AStampedEnvelopeParsesWithItsEpochAndTheSameFields) {
    const std::string publication = group_envelope("ciphertext");
    ASSERT_TRUE(check_group_envelope(publication, kGroup));
    EXPECT_FALSE(stamp_of(publication)) << "a publication is unstamped";
    const std::string delivery = stamped(publication, 0x0102030405060708ull);
    EXPECT_EQ(delivery.size(), publication.size() + kStampBytes);
    EXPECT_EQ(stamp_of(delivery), 0x0102030405060708ull);
    v1::Envelope parsed;
    ASSERT_TRUE(parsed.ParseFromString(delivery));
    EXPECT_EQ(parsed.broker_epoch(), 0x0102030405060708ull);
    EXPECT_EQ(parsed.payload(), "ciphertext");
    EXPECT_EQ(stamp_of(stamped(publication, 0)), 0u);
}

TEST(EnvelopeStamp, APublisherCannotStampItself) {
    v1::Envelope e;
    ASSERT_TRUE(e.ParseFromString(group_envelope("x")));
    e.set_broker_epoch(99);
    auto refused = check_group_envelope(e.SerializeAsString(), kGroup);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::malformed);
    EXPECT_NE(refused.error().message.find("broker_epoch"), std::string::npos);
    // Bytes that look like a stamp at the end of its own payload field are not one: cut there,
    // the payload field is incomplete.
    const std::string fake_tail = std::string("\x39", 1) + std::string(8, '\x07');
    const std::string publication = group_envelope("ciphertext" + fake_tail);
    ASSERT_TRUE(check_group_envelope(publication, kGroup));
    EXPECT_FALSE(stamp_of(publication));
    EXPECT_EQ(stamp_of(stamped(publication, 3)), 3u);
}

TEST(EnvelopeStamp, WhatIsNotAGroupEnvelopeForTheTopicIsRefusedByName) {
    auto garbage = check_group_envelope("\xff\xff\xff not protobuf", kGroup);
    ASSERT_FALSE(garbage);
    EXPECT_NE(garbage.error().message.find("not an envelope"), std::string::npos);
    auto other = check_group_envelope(group_envelope("x"), std::string(16, 'h'));
    ASSERT_FALSE(other);
    EXPECT_NE(other.error().message.find("another group"), std::string::npos);
    v1::Envelope mail;
    ASSERT_TRUE(mail.ParseFromString(group_envelope("x")));
    mail.set_recipient_key(std::string(32, 'r'));
    EXPECT_FALSE(check_group_envelope(mail.SerializeAsString(), kGroup));
    EXPECT_FALSE(stamp_of("")) << "short input";
    EXPECT_FALSE(stamp_of(std::string(8, '\x39'))) << "shorter than a stamp";
}

}  // namespace
}  // namespace twofold::mqtt_auth
