// Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b against the cacophony vectors
// (tests/vectors/noise/xxpsk3_25519_chachapoly_blake2b.json, MIT), then bad input.
#include "handshake/noise_xxpsk3.h"
#include "vectors.h"

namespace twofold::handshake {
namespace {

using crypto::testing::hex;
using crypto::testing::hex_of;
using crypto::testing::load_vectors;

const nlohmann::json& vector() {
    static const nlohmann::json v = load_vectors("noise/xxpsk3_25519_chachapoly_blake2b.json")["vectors"].at(0);
    return v;
}

NoiseKeyPair key_pair(const nlohmann::json& v) {
    const Bytes b = hex(v);
    EXPECT_EQ(b.size(), kNoiseDhBytes);
    return NoiseKeyPair::from_secret(std::span<const std::uint8_t, kNoiseDhBytes>(b.data(), kNoiseDhBytes));
}

NoisePsk psk_of(const nlohmann::json& v) {
    const Bytes b = hex(v);
    EXPECT_EQ(b.size(), kNoisePskBytes);
    return NoisePsk::copy_of(std::span<const std::uint8_t, kNoisePskBytes>(b.data(), kNoisePskBytes));
}

struct Pair {
    NoiseXXpsk3Handshake initiator;
    NoiseXXpsk3Handshake responder;
};

Pair vector_pair(const nlohmann::json& v) {
    return Pair{NoiseXXpsk3Handshake(NoiseRole::initiator, key_pair(v["init_static"]), psk_of(v["init_psks"][0]),
                                     hex(v["init_prologue"]), key_pair(v["init_ephemeral"])),
                NoiseXXpsk3Handshake(NoiseRole::responder, key_pair(v["resp_static"]), psk_of(v["resp_psks"][0]),
                                     hex(v["resp_prologue"]), key_pair(v["resp_ephemeral"]))};
}

std::string text(const crypto::SecretBuffer& b) { return hex_of(b.span()); }

TEST(NoiseXXpsk3, CacophonyVectorByteForByte) {
    const auto& v = vector();
    ASSERT_EQ(v["protocol_name"], std::string(kNoiseXXpsk3ProtocolName));
    const auto& messages = v["messages"];
    ASSERT_EQ(messages.size(), 6u);  // three handshake messages, then three transport messages
    auto p = vector_pair(v);

    // Cacophony alternates senders from the initiator on, through handshake and transport alike.
    for (int i = 0; i < kNoiseXXpsk3MessageCount; ++i) {
        auto& writer = i % 2 == 0 ? p.initiator : p.responder;
        auto& reader = i % 2 == 0 ? p.responder : p.initiator;
        auto sent = writer.write_message(hex(messages[i]["payload"]));
        ASSERT_TRUE(sent.ok()) << sent.error().message;
        EXPECT_EQ(hex_of(*sent), messages[i]["ciphertext"]) << "handshake message " << i;
        auto got = reader.read_message(*sent);
        ASSERT_TRUE(got.ok()) << got.error().message;
        EXPECT_EQ(text(*got), messages[i]["payload"]);
    }
    auto ti = p.initiator.finish();
    auto tr = p.responder.finish();
    ASSERT_TRUE(ti.ok() && tr.ok());
    EXPECT_EQ(hex_of(ti->handshake_hash), v["handshake_hash"]);
    EXPECT_EQ(hex_of(tr->handshake_hash), v["handshake_hash"]);
    // Each side learns the other's static key (to check against the GMS identity statement).
    EXPECT_EQ(hex_of(ti->remote_static), hex_of(key_pair(v["resp_static"]).public_key));
    EXPECT_EQ(hex_of(tr->remote_static), hex_of(key_pair(v["init_static"]).public_key));

    for (std::size_t i = kNoiseXXpsk3MessageCount; i < messages.size(); ++i) {
        auto& writer = i % 2 == 0 ? ti->send : tr->send;
        auto& reader = i % 2 == 0 ? tr->receive : ti->receive;
        auto sent = writer.encrypt_with_ad({}, hex(messages[i]["payload"]));
        ASSERT_TRUE(sent.ok());
        EXPECT_EQ(hex_of(*sent), messages[i]["ciphertext"]) << "transport message " << i;
        auto got = reader.decrypt_with_ad({}, *sent);
        ASSERT_TRUE(got.ok()) << got.error().message;
        EXPECT_EQ(text(*got), messages[i]["payload"]);
    }
}

// Runs the vector's handshake up to message `upto`, returning that message as sent.
Bytes messages_until(Pair& p, int upto) {
    Bytes sent;
    for (int i = 0; i <= upto; ++i) {
        auto& writer = i % 2 == 0 ? p.initiator : p.responder;
        auto& reader = i % 2 == 0 ? p.responder : p.initiator;
        auto m = writer.write_message(as_bytes("payload"));
        EXPECT_TRUE(m.ok());
        sent = *m;
        if (i < upto) {
            EXPECT_TRUE(reader.read_message(sent).ok());
        }
    }
    return sent;
}

NoiseXXpsk3Handshake& reader_of(Pair& p, int i) { return i % 2 == 0 ? p.responder : p.initiator; }

TEST(NoiseXXpsk3, TamperedByteInAnyMessageIsRefused) {
    for (int i = 0; i < kNoiseXXpsk3MessageCount; ++i) {
        // Message 1's ephemeral key is in clear but hashed into the payload's tag, so every byte counts.
        const std::size_t positions[] = {0, 31, 32, 40};
        for (std::size_t at : positions) {
            auto p = vector_pair(vector());
            Bytes m = messages_until(p, i);
            ASSERT_LT(at, m.size());
            m[at] ^= 0x01;
            auto got = reader_of(p, i).read_message(m);
            ASSERT_FALSE(got.ok()) << "message " << i + 1 << " byte " << at;
            EXPECT_EQ(got.error().code, Errc::auth_failed) << got.error().message;
            EXPECT_NE(got.error().message.find("message " + std::to_string(i + 1)), std::string::npos);
            // A failed handshake stays failed.
            EXPECT_FALSE(reader_of(p, i).read_message(m).ok());
        }
    }
}

TEST(NoiseXXpsk3, WrongPskFailsAtTheThirdMessage) {
    const auto& v = vector();
    Bytes wrong = hex(v["resp_psks"][0]);
    wrong[5] ^= 0x80;
    NoiseXXpsk3Handshake initiator(NoiseRole::initiator, key_pair(v["init_static"]), psk_of(v["init_psks"][0]),
                                   hex(v["init_prologue"]), key_pair(v["init_ephemeral"]));
    NoiseXXpsk3Handshake responder(
        NoiseRole::responder, key_pair(v["resp_static"]),
        NoisePsk::copy_of(std::span<const std::uint8_t, kNoisePskBytes>(wrong.data(), kNoisePskBytes)),
        hex(v["resp_prologue"]), key_pair(v["resp_ephemeral"]));
    auto m1 = initiator.write_message({});
    ASSERT_TRUE(m1.ok());
    ASSERT_TRUE(responder.read_message(*m1).ok());  // the PSK is not used yet (psk3)
    auto m2 = responder.write_message({});
    ASSERT_TRUE(m2.ok());
    ASSERT_TRUE(initiator.read_message(*m2).ok());
    auto m3 = initiator.write_message(as_bytes("rn1 would follow"));
    ASSERT_TRUE(m3.ok());
    auto got = responder.read_message(*m3);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::auth_failed);
    EXPECT_NE(got.error().message.find("message 3"), std::string::npos) << got.error().message;
    EXPECT_NE(got.error().message.find("PSK"), std::string::npos) << got.error().message;
    EXPECT_FALSE(responder.finish().ok());
}

TEST(NoiseXXpsk3, TruncatedMessagesNameWhatIsMissing) {
    struct Case {
        int message;
        std::size_t keep;
        const char* says;
    };
    const Case cases[] = {{0, 0, "ephemeral"}, {0, 31, "ephemeral"}, {0, 40, "tag"},    {1, 31, "ephemeral"},
                          {1, 70, "static"},   {1, 90, "tag"},       {2, 47, "static"}, {2, 60, "tag"}};
    for (const auto& c : cases) {
        auto p = vector_pair(vector());
        Bytes m = messages_until(p, c.message);
        m.resize(c.keep);
        auto got = reader_of(p, c.message).read_message(m);
        ASSERT_FALSE(got.ok()) << c.message << "/" << c.keep;
        EXPECT_EQ(got.error().code, Errc::truncated) << got.error().message;
        EXPECT_NE(got.error().message.find(c.says), std::string::npos) << got.error().message;
    }
}

TEST(NoiseXXpsk3, MessagesAboveTheLimitAreRefused) {
    auto p = vector_pair(vector());
    constexpr std::size_t kSpecLimit = 65535;  // Noise section 3, written out: the test must not follow the code
    const Bytes fits(kSpecLimit - kNoiseDhBytes - kNoiseTagBytes, 0x42);
    EXPECT_TRUE(p.initiator.write_message(fits).ok());  // exactly 65535 bytes

    auto q = vector_pair(vector());
    const Bytes too_big(fits.size() + 1, 0x42);
    auto w = q.initiator.write_message(too_big);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.error().code, Errc::too_large);

    auto r = vector_pair(vector());
    const Bytes oversized(kSpecLimit + 1, 0);
    auto got = r.responder.read_message(oversized);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::too_large);
}

TEST(NoiseXXpsk3, FreshEphemeralsAgreeAndDiffer) {
    const auto& v = vector();
    auto run = [&] {
        NoiseXXpsk3Handshake i(NoiseRole::initiator, key_pair(v["init_static"]), psk_of(v["init_psks"][0]), {});
        NoiseXXpsk3Handshake r(NoiseRole::responder, key_pair(v["resp_static"]), psk_of(v["resp_psks"][0]), {});
        EXPECT_TRUE(r.read_message(*i.write_message({})).ok());
        EXPECT_TRUE(i.read_message(*r.write_message({})).ok());
        EXPECT_TRUE(r.read_message(*i.write_message({})).ok());
        auto ti = i.finish();
        auto tr = r.finish();
        EXPECT_EQ(hex_of(ti->handshake_hash), hex_of(tr->handshake_hash));
        auto c = ti->send.encrypt_with_ad({}, as_bytes("rn1"));
        EXPECT_TRUE(tr->receive.decrypt_with_ad({}, *c).ok());
        return hex_of(ti->handshake_hash);
    };
    EXPECT_NE(run(), run());  // random ephemerals: no two handshakes alike
}

TEST(NoiseXXpsk3, TransportRefusesTamperedTruncatedAndOversizedMessages) {
    auto p = vector_pair(vector());
    for (int i = 0; i < kNoiseXXpsk3MessageCount; ++i) {
        auto& writer = i % 2 == 0 ? p.initiator : p.responder;
        ASSERT_TRUE(reader_of(p, i).read_message(*writer.write_message({})).ok());
    }
    auto ti = p.initiator.finish();
    auto tr = p.responder.finish();
    ASSERT_TRUE(ti.ok() && tr.ok());
    auto sent = ti->send.encrypt_with_ad({}, as_bytes("RN1"));
    ASSERT_TRUE(sent.ok());
    Bytes tampered = *sent;
    tampered.back() ^= 0x01;
    auto bad = tr->receive.decrypt_with_ad({}, tampered);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::auth_failed);
    EXPECT_EQ(tr->receive.nonce(), 0u);  // a refused message does not use up a nonce
    EXPECT_EQ(tr->receive.decrypt_with_ad({}, Bytes(sent->begin(), sent->begin() + 15)).error().code, Errc::truncated);
    EXPECT_TRUE(tr->receive.decrypt_with_ad({}, *sent).ok());   // the genuine one still opens
    EXPECT_FALSE(tr->receive.decrypt_with_ad({}, *sent).ok());  // and only once: the nonce moved on
    EXPECT_EQ(tr->receive.decrypt_with_ad({}, Bytes(65536, 0)).error().code, Errc::too_large);
    EXPECT_EQ(ti->send.encrypt_with_ad({}, Bytes(65535 - 16 + 1, 0)).error().code, Errc::too_large);
    EXPECT_TRUE(ti->send.encrypt_with_ad({}, Bytes(65535 - 16, 0)).ok());
}

TEST(NoiseXXpsk3, OutOfTurnIsRefused) {
    auto p = vector_pair(vector());
    EXPECT_FALSE(p.responder.write_message({}).ok());
    EXPECT_FALSE(p.initiator.read_message(Bytes(64, 0)).ok());
    EXPECT_FALSE(p.initiator.finish().ok());
}

}  // namespace
}  // namespace twofold::handshake
