// Framing: round trips, every way a stream can be cut or oversized, and no allocation driven by
// an announced length.
#include "wire/frame.h"

#include <gtest/gtest.h>

#include <random>

namespace twofold::wire {
namespace {

Bytes payload_of(std::size_t n, std::uint8_t seed = 1) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 31);
    return b;
}

TEST(Frame, EncodesBigEndianLength) {
    const auto frame = encode_frame(payload_of(0x0102));
    ASSERT_TRUE(frame.ok());
    ASSERT_EQ(frame->size(), 4u + 0x0102);
    EXPECT_EQ((*frame)[0], 0x00);
    EXPECT_EQ((*frame)[1], 0x00);
    EXPECT_EQ((*frame)[2], 0x01);
    EXPECT_EQ((*frame)[3], 0x02);
}

TEST(Frame, EmptyPayloadIsAFrame) {
    const auto frame = encode_frame({});
    ASSERT_TRUE(frame.ok());
    const auto back = decode_single_frame(*frame);
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(back->empty());
}

TEST(Frame, EncodeRefusesOversizedPayload) {
    const auto frame = encode_frame(payload_of(101), 100);
    ASSERT_FALSE(frame.ok());
    EXPECT_EQ(frame.error().code, Errc::too_large);
    EXPECT_NE(frame.error().message.find("101"), std::string::npos);
}

TEST(Frame, SingleFrameErrorsAreTyped) {
    const Bytes frame = *encode_frame(payload_of(10));
    for (std::size_t cut = 0; cut < frame.size(); ++cut) {
        const auto r = decode_single_frame(ByteView(frame).first(cut));
        ASSERT_FALSE(r.ok()) << cut;
        EXPECT_EQ(r.error().code, Errc::truncated) << cut;
    }
    Bytes trailing = frame;
    trailing.push_back(0);
    EXPECT_EQ(decode_single_frame(trailing).error().code, Errc::malformed);
    const Bytes huge = {0xff, 0xff, 0xff, 0xff};
    EXPECT_EQ(decode_single_frame(huge).error().code, Errc::too_large);
}

TEST(FrameDecoder, ReassemblesFramesFedByteByByte) {
    Bytes stream;
    std::vector<Bytes> sent;
    for (std::size_t n : {0u, 1u, 5u, 300u, 70000u}) {
        sent.push_back(payload_of(n, static_cast<std::uint8_t>(n)));
        append(stream, *encode_frame(sent.back()));
    }
    FrameDecoder decoder;
    std::vector<Bytes> received;
    for (const std::uint8_t b : stream) {
        ASSERT_TRUE(decoder.feed(ByteView(&b, 1)).ok());
        while (auto f = decoder.next()) received.push_back(std::move(*f));
    }
    EXPECT_EQ(received, sent);
    EXPECT_TRUE(decoder.finish().ok());
}

TEST(FrameDecoder, RandomChunkingGivesTheSameFrames) {
    std::mt19937 rng(42);
    Bytes stream;
    std::vector<Bytes> sent;
    for (int i = 0; i < 200; ++i) {
        sent.push_back(payload_of(rng() % 2000, static_cast<std::uint8_t>(i)));
        append(stream, *encode_frame(sent.back()));
    }
    FrameDecoder decoder;
    std::vector<Bytes> received;
    for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = std::min<std::size_t>(1 + rng() % 5000, stream.size() - at);
        ASSERT_TRUE(decoder.feed(ByteView(stream).subspan(at, n)).ok());
        at += n;
        while (auto f = decoder.next()) received.push_back(std::move(*f));
    }
    EXPECT_EQ(received, sent);
}

TEST(FrameDecoder, OversizedHeaderFailsBeforeAnyPayloadIsBuffered) {
    FrameDecoder decoder(1024);
    const Bytes header = {0x00, 0x00, 0x04, 0x01};  // 1025
    const Status s = decoder.feed(header);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::too_large);
    EXPECT_NE(s.error().message.find("1025"), std::string::npos);
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
    // The stream cannot be resynchronised: the failure is sticky.
    EXPECT_EQ(decoder.feed(*encode_frame(payload_of(3))).error().code, Errc::too_large);
    EXPECT_FALSE(decoder.next().has_value());
    EXPECT_EQ(decoder.finish().error().code, Errc::too_large);
}

TEST(FrameDecoder, OversizedFrameAfterAGoodOneIsReported) {
    FrameDecoder decoder(16);
    Bytes stream = *encode_frame(payload_of(4));
    append(stream, Bytes{0x7f, 0xff, 0xff, 0xff});
    // The first header is fine, so the feed succeeds and the good frame comes out.
    ASSERT_TRUE(decoder.feed(stream).ok());
    const auto first = decoder.next();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(*first, payload_of(4));
    EXPECT_FALSE(decoder.next().has_value());
    EXPECT_EQ(decoder.finish().error().code, Errc::too_large);
}

TEST(FrameDecoder, TruncatedStreamIsReportedAtFinish) {
    const Bytes frame = *encode_frame(payload_of(40));
    for (std::size_t cut = 1; cut < frame.size(); ++cut) {
        FrameDecoder decoder;
        ASSERT_TRUE(decoder.feed(ByteView(frame).first(cut)).ok());
        EXPECT_FALSE(decoder.next().has_value());
        const Status s = decoder.finish();
        ASSERT_FALSE(s.ok()) << cut;
        EXPECT_EQ(s.error().code, Errc::truncated) << cut;
    }
}

TEST(FrameDecoder, BufferStaysNearOneFrame) {
    FrameDecoder decoder(4096);
    const Bytes frame = *encode_frame(payload_of(1000));
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(decoder.feed(frame).ok());
        ASSERT_TRUE(decoder.next().has_value());
        ASSERT_LE(decoder.buffered_bytes(), frame.size());
    }
}

}  // namespace
}  // namespace twofold::wire
