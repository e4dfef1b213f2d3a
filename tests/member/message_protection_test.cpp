// Group message protection: round trips, every field tampered with (each refused for the right
// reason), shape checks, and the signature check that needs no group key.
#include "member/message_protection.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "crypto/gk.h"
#include "crypto/random.h"

namespace twofold::member {
namespace {

constexpr char kKcidDiffers[] = "key-confirmation id differs: the sender holds a different group key";
constexpr char kBadSignature[] = "signature does not verify";
constexpr char kAltered[] = "ciphertext was altered";

crypto::EpochKeySchedule schedule_for(const crypto::Rn1& rn1, const crypto::Rn2& rn2, std::string_view name) {
    return crypto::EpochKeySchedule(crypto::derive_group_key(rn1, rn2, *crypto::GroupName::parse(name)));
}

std::string as_string(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

Bytes serialise(const v1::GroupMessage& m) {
    std::string s;
    EXPECT_TRUE(m.SerializeToString(&s));
    return {s.begin(), s.end()};
}

template <class T>
Status status_of(const Result<T>& r) {
    if (r.ok()) return {};
    return r.error();
}

class GroupMessageTest : public ::testing::Test {
  protected:
    crypto::Rn1 rn1 = crypto::make_rn1();
    crypto::Rn2 rn2 = crypto::make_rn2();
    crypto::EpochKeySchedule keys = schedule_for(rn1, rn2, "garden club");
    crypto::SigningKey alice = crypto::SigningKey::generate();
    crypto::SigningKey bob = crypto::SigningKey::generate();
    FixedBytes<16> group = crypto::random_array<16>();
    EpochId epoch{3, 41};

    v1::GroupMessage protect(ByteView plaintext, std::uint64_t sequence = 7) {
        auto bytes = protect_message(group, epoch, keys, alice, sequence, plaintext);
        EXPECT_TRUE(bytes.ok()) << bytes.error().message;
        auto parsed = parse_group_message(*bytes);
        EXPECT_TRUE(parsed.ok()) << parsed.error().message;
        return *parsed;
    }

    // Opens and expects auth_failed with exactly `reason`; the caller's buffer must come back empty.
    void expect_refused(const v1::GroupMessage& m, const char* reason) {
        crypto::SecretBuffer plaintext = crypto::SecretBuffer::copy_of(as_bytes("stale contents"));
        const Status s = open_message_into(m, keys, plaintext);
        ASSERT_FALSE(s.ok());
        EXPECT_EQ(s.error().code, Errc::auth_failed);
        EXPECT_EQ(s.error().message, reason);
        EXPECT_TRUE(plaintext.empty());
    }
};

Bytes pattern(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 131 + 7);
    return b;
}

TEST_F(GroupMessageTest, RoundTripsEverySize) {
    for (const std::size_t size :
         {std::size_t{0}, std::size_t{1}, std::size_t{1024}, std::size_t{64} * 1024, kMaxMessagePlaintextBytes}) {
        SCOPED_TRACE(size);
        const Bytes plaintext = pattern(size);
        const v1::GroupMessage m = protect(plaintext);
        EXPECT_EQ(m.ciphertext().size(), size + crypto::kAeadTagBytes);
        auto opened = open_message(m, keys);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        EXPECT_EQ(Bytes(opened->span().begin(), opened->span().end()), plaintext);
    }
}

TEST_F(GroupMessageTest, RefusesPlaintextAboveTheMaximum) {
    const Bytes plaintext(kMaxMessagePlaintextBytes + 1);
    const auto r = protect_message(group, epoch, keys, alice, 1, plaintext);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::too_large);
    EXPECT_NE(r.error().message.find("plaintext"), std::string::npos);
}

TEST_F(GroupMessageTest, RefusesAGroupIdOfTheWrongSize) {
    const Bytes short_id(15);
    const auto r = protect_message(short_id, epoch, keys, alice, 1, as_bytes("hi"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("group_id"), std::string::npos);
}

TEST_F(GroupMessageTest, HeaderSaysWhoWhenAndWhichEpoch) {
    const v1::GroupMessage m = protect(as_bytes("hello"), 99);
    const auto& h = m.header();
    EXPECT_EQ(h.format_version(), 2u);
    EXPECT_EQ(h.group_id(), as_string(group));
    EXPECT_EQ(h.rn1_generation(), 3u);
    EXPECT_EQ(h.rn2_epoch(), 41u);
    EXPECT_EQ(h.sender_key(), as_string(alice.public_key()));
    EXPECT_EQ(h.sequence(), 99u);
    EXPECT_EQ(h.key_confirmation_id(), as_string(keys.key_confirmation_id()));
    EXPECT_EQ(m.signature().size(), crypto::kSignatureBytes);
    // A fresh random nonce each time, even for the same (sender, sequence, plaintext).
    EXPECT_NE(protect(as_bytes("hello"), 99).header().nonce(), h.nonce());
}

// The associated data's layout, written out by hand from docs/protocol.md.
TEST(GroupMessageLayout, AssociatedDataIsTheDocumentedFixedLayout) {
    v1::GroupMessageHeader h;
    h.set_format_version(2);
    h.set_group_id(std::string(16, '\x11'));
    h.set_rn1_generation(0x0102030405060708);
    h.set_rn2_epoch(0x1112131415161718);
    h.set_sender_key(std::string(32, '\x22'));
    h.set_sequence(0x2122232425262728);
    h.set_key_confirmation_id(std::string(16, '\x33'));
    h.set_nonce(std::string(24, '\x44'));
    Bytes expected;
    const std::string label = "twofold/v1 group message";
    expected.insert(expected.end(), label.begin(), label.end());
    expected.push_back(0x00);
    expected.push_back(0x02);  // format version
    expected.insert(expected.end(), 16, 0x11);
    for (std::uint8_t b = 0x01; b <= 0x08; ++b) expected.push_back(b);
    for (std::uint8_t b = 0x11; b <= 0x18; ++b) expected.push_back(b);
    expected.insert(expected.end(), 32, 0x22);
    for (std::uint8_t b = 0x21; b <= 0x28; ++b) expected.push_back(b);
    expected.insert(expected.end(), 16, 0x33);
    expected.insert(expected.end(), 24, 0x44);
    ASSERT_EQ(expected.size(), kGroupMessageAdBytes);
    const auto ad = group_message_associated_data(h);
    EXPECT_EQ(Bytes(ad.begin(), ad.end()), expected);

    // Signed bytes: the same, then SHA-256 of the ciphertext (of "abc": FIPS 180-2 appendix B.1).
    v1::GroupMessage m;
    *m.mutable_header() = h;
    m.set_ciphertext("abc");
    const auto signed_bytes = group_message_signed_bytes(m);
    ASSERT_EQ(signed_bytes.size(), std::size_t{170});
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), signed_bytes.begin()));
    const Bytes sha256_abc = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                              0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                              0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    EXPECT_EQ(Bytes(signed_bytes.begin() + kGroupMessageAdBytes, signed_bytes.end()), sha256_abc);
}

// Every version but 2 is refused before any crypto, naming the version found and the one read:
// by parse, by the signature check without the group key, and by open for a message built by hand.
TEST_F(GroupMessageTest, OtherFormatVersionsAreRefusedNamingBoth) {
    const struct {
        std::uint32_t version;
        const char* message;
    } cases[] = {
        {0, "group message format version 1 is not accepted: this member reads version 2"},  // field absent
        {1, "group message format version 1 is not accepted: this member reads version 2"},
        {3, "group message format version 3 is not accepted: this member reads version 2"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.version);
        v1::GroupMessage m = protect(as_bytes("hello"));
        m.mutable_header()->set_format_version(c.version);
        for (const Status& s : {status_of(parse_group_message(serialise(m))), verify_message_signature(m),
                                status_of(open_message(m, keys))}) {
            ASSERT_FALSE(s.ok());
            EXPECT_EQ(s.error().code, Errc::malformed);
            EXPECT_EQ(s.error().message, c.message);
        }
    }
}

// A message as the first format wrote it (main before this change, under the fuzz seeds' keys):
// no format_version field, signature over BLAKE2b-256 of the ciphertext.
TEST(GroupMessageParse, AFirstFormatMessageIsRefusedAsVersion1) {
    std::ifstream in(std::string(TWOFOLD_VECTORS_DIR) + "/group_message_v1_hello.bin", std::ios::binary);
    ASSERT_TRUE(in.good());
    const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(bytes.size(), 200u);
    const auto r = parse_group_message(bytes);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::malformed);
    EXPECT_EQ(r.error().message, "group message format version 1 is not accepted: this member reads version 2");
}

struct Tamper {
    const char* field;
    std::function<void(v1::GroupMessage&)> change;
    const char* reason;
};

void flip_first(std::string& s) { s[0] = static_cast<char>(s[0] ^ 0x01); }
void flip_last(std::string& s) { s.back() = static_cast<char>(s.back() ^ 0x80); }

TEST_F(GroupMessageTest, EveryTamperedFieldIsRefusedForTheRightReason) {
    const std::string bob_key = as_string(bob.public_key());
    const std::vector<Tamper> cases = {
        {"group_id", [](auto& m) { flip_first(*m.mutable_header()->mutable_group_id()); }, kBadSignature},
        {"rn1_generation", [](auto& m) { m.mutable_header()->set_rn1_generation(4); }, kBadSignature},
        {"rn2_epoch", [](auto& m) { m.mutable_header()->set_rn2_epoch(40); }, kBadSignature},
        {"sender_key", [&](auto& m) { m.mutable_header()->set_sender_key(bob_key); }, kBadSignature},
        {"sequence", [](auto& m) { m.mutable_header()->set_sequence(8); }, kBadSignature},
        {"key_confirmation_id", [](auto& m) { flip_last(*m.mutable_header()->mutable_key_confirmation_id()); },
         kKcidDiffers},
        {"nonce", [](auto& m) { flip_first(*m.mutable_header()->mutable_nonce()); }, kBadSignature},
        {"ciphertext body", [](auto& m) { flip_first(*m.mutable_ciphertext()); }, kBadSignature},
        {"ciphertext tag", [](auto& m) { flip_last(*m.mutable_ciphertext()); }, kBadSignature},
        {"ciphertext extended", [](auto& m) { m.mutable_ciphertext()->push_back('x'); }, kBadSignature},
        {"signature R", [](auto& m) { flip_first(*m.mutable_signature()); }, kBadSignature},
        {"signature S", [](auto& m) { flip_last(*m.mutable_signature()); }, kBadSignature},
    };
    const v1::GroupMessage original = protect(pattern(300));
    ASSERT_TRUE(open_message(original, keys).ok());
    for (const Tamper& t : cases) {
        SCOPED_TRACE(t.field);
        v1::GroupMessage m = original;
        t.change(m);
        // Still well-formed: the refusal must come from the cryptographic checks.
        ASSERT_TRUE(parse_group_message(serialise(m)).ok());
        expect_refused(m, t.reason);
    }
}

// A member re-signs a changed message with a valid signature (its own, or the sender's key in a
// test standing for a malicious sender): the AEAD must still refuse it.
TEST_F(GroupMessageTest, ValidlySignedButChangedHeaderOrCiphertextFailsTheAead) {
    const v1::GroupMessage original = protect(pattern(100));
    const auto resign = [](v1::GroupMessage& m, const crypto::SigningKey& key) {
        const auto sig = key.sign(group_message_signed_bytes(m));
        m.set_signature(as_string(sig));
    };
    {
        SCOPED_TRACE("bob claims alice's message as his own");
        v1::GroupMessage m = original;
        m.mutable_header()->set_sender_key(as_string(bob.public_key()));
        resign(m, bob);
        expect_refused(m, kAltered);
    }
    const std::vector<Tamper> cases = {
        {"group_id", [](auto& m) { flip_first(*m.mutable_header()->mutable_group_id()); }, kAltered},
        {"rn1_generation", [](auto& m) { m.mutable_header()->set_rn1_generation(0); }, kAltered},
        {"rn2_epoch", [](auto& m) { m.mutable_header()->set_rn2_epoch(42); }, kAltered},
        {"sequence", [](auto& m) { m.mutable_header()->set_sequence(6); }, kAltered},
        {"nonce", [](auto& m) { flip_last(*m.mutable_header()->mutable_nonce()); }, kAltered},
        {"ciphertext", [](auto& m) { flip_first(*m.mutable_ciphertext()); }, kAltered},
    };
    for (const Tamper& t : cases) {
        SCOPED_TRACE(t.field);
        v1::GroupMessage m = original;
        t.change(m);
        resign(m, alice);
        expect_refused(m, t.reason);
    }
}

TEST_F(GroupMessageTest, AReceiverWithAnotherGroupKeyIsToldSo) {
    const v1::GroupMessage m = protect(as_bytes("hello"));
    const auto other_group = schedule_for(crypto::make_rn1(), crypto::make_rn2(), "garden club");
    const auto other_name = schedule_for(rn1, rn2, "garden club 2");
    for (const auto* other : {&other_group, &other_name}) {
        const auto r = open_message(m, *other);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, Errc::auth_failed);
        EXPECT_EQ(r.error().message, kKcidDiffers);
    }
}

TEST_F(GroupMessageTest, TheNextEpochsKeysDoNotOpenThisEpochsMessage) {
    const v1::GroupMessage m = protect(as_bytes("hello"));
    const auto next_rn2 = schedule_for(rn1, crypto::make_rn2(), "garden club");  // RN2 renewed
    const auto next_rn1 = schedule_for(crypto::make_rn1(), rn2, "garden club");  // RN1 rotated
    for (const auto* next : {&next_rn2, &next_rn1}) {
        const auto r = open_message(m, *next);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().message, kKcidDiffers);
    }
    // ...and a message claiming the next epoch does not open with these keys either (shown by
    // the tampering test: the header is signed).
}

// Shape checks, each naming its field.
TEST_F(GroupMessageTest, TheSignatureChecksWithoutTheGroupKey) {
    // A receiver past the grace period still learns that the sender sent this sequence.
    v1::GroupMessage m = protect(as_bytes("late"), 12);
    EXPECT_TRUE(verify_message_signature(m).ok());
    m.mutable_ciphertext()->back() ^= 0x01;
    const Status altered = verify_message_signature(m);
    ASSERT_FALSE(altered.ok());
    EXPECT_EQ(altered.error().message, kBadSignature);
    v1::GroupMessage other = protect(as_bytes("late"), 12);
    other.mutable_header()->set_sequence(13);
    EXPECT_FALSE(verify_message_signature(other).ok());
    other.mutable_signature()->resize(3);
    EXPECT_EQ(verify_message_signature(other).error().code, Errc::malformed);
}

TEST_F(GroupMessageTest, ParseRefusesFieldsOfTheWrongSizeNamingThem) {
    const v1::GroupMessage original = protect(as_bytes("hello"));
    struct Case {
        const char* name;
        std::function<void(v1::GroupMessage&)> change;
        Errc code;
    };
    const std::vector<Case> cases = {
        {"header.group_id", [](auto& m) { m.mutable_header()->mutable_group_id()->pop_back(); }, Errc::malformed},
        {"header.group_id", [](auto& m) { m.mutable_header()->mutable_group_id()->push_back('x'); }, Errc::malformed},
        {"header.sender_key", [](auto& m) { m.mutable_header()->mutable_sender_key()->pop_back(); }, Errc::malformed},
        {"header.key_confirmation_id", [](auto& m) { m.mutable_header()->clear_key_confirmation_id(); },
         Errc::malformed},
        {"header.nonce", [](auto& m) { m.mutable_header()->mutable_nonce()->resize(12); }, Errc::malformed},
        {"signature", [](auto& m) { m.mutable_signature()->push_back('x'); }, Errc::malformed},
        {"header", [](auto& m) { m.clear_header(); }, Errc::malformed},
        {"ciphertext", [](auto& m) { m.mutable_ciphertext()->resize(15); }, Errc::malformed},
        {"ciphertext", [](auto& m) { m.mutable_ciphertext()->resize(kMaxMessagePlaintextBytes + 17); },
         Errc::too_large},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        v1::GroupMessage m = original;
        c.change(m);
        const auto r = parse_group_message(serialise(m));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, c.code);
        EXPECT_NE(r.error().message.find(c.name), std::string::npos) << r.error().message;
        // open_message makes the same checks on a message built by hand, before any crypto.
        const auto opened = open_message(m, keys);
        ASSERT_FALSE(opened.ok());
        EXPECT_EQ(opened.error().code, c.code);
    }
    // The largest legal ciphertext parses.
    v1::GroupMessage largest = original;
    largest.mutable_ciphertext()->resize(kMaxMessagePlaintextBytes + 16);
    EXPECT_TRUE(parse_group_message(serialise(largest)).ok());
}

TEST(GroupMessageParse, RefusesOversizedInputBeforeParsing) {
    const Bytes huge(kMaxGroupMessageBytes + 1, 0x00);
    const auto r = parse_group_message(huge);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::too_large);
    EXPECT_NE(r.error().message.find("group message"), std::string::npos);
}

TEST(GroupMessageParse, GarbageIsMalformed) {
    const Bytes garbage = {0xff, 0xff, 0xff, 0xff, 0xff, 0x0f};
    const auto r = parse_group_message(garbage);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::malformed);
    const auto empty = parse_group_message({});
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, Errc::malformed);
}

}  // namespace
}  // namespace twofold::member
