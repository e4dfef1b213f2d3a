// The wrappers' own behaviour: secrets, hex, group names, GK and the key schedule (against values
// computed independently), sealing, identity conversion, Argon2id.
#include <sstream>

#include "crypto/digest.h"
#include "crypto/gk.h"
#include "crypto/key_schedule.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "crypto/sha256.h"
#include "crypto/x25519.h"
#include "vectors.h"

namespace twofold::crypto::testing {
namespace {

// A secret must not be printable: logging one is a compile error, not a leak.
template <class T>
concept Streamable = requires(std::ostream& os, const T& t) {
    os << t;
};
static_assert(!Streamable<Rn1>);
static_assert(!Streamable<GroupKey>);
static_assert(!Streamable<SecretBuffer>);
static_assert(!std::is_copy_constructible_v<Rn2>);

TEST(Secret, RandomSecretsDifferAndCompareInConstantTime) {
    const Rn1 a = make_rn1();
    const Rn1 b = make_rn1();
    EXPECT_FALSE(a == b);
    const Rn1 c = a.clone();
    EXPECT_TRUE(a == c);
    Rn1 moved = std::move(const_cast<Rn1&>(c));
    EXPECT_TRUE(moved == a);
    EXPECT_TRUE(equal_constant_time(ByteView(), ByteView()));
    const Bytes x = {1, 2, 3};
    EXPECT_FALSE(equal_constant_time(x, ByteView(x).first(2)));
}

TEST(Secret, WipeZeroes) {
    Bytes b = {1, 2, 3, 4};
    wipe(b);
    EXPECT_EQ(b, Bytes(4, 0));
    SecretBuffer s = SecretBuffer::copy_of(Bytes{9, 9});
    EXPECT_EQ(s.size(), 2u);
    SecretBuffer t = std::move(s);
    EXPECT_EQ(t.size(), 2u);
    EXPECT_EQ(s.size(), 0u);  // NOLINT(bugprone-use-after-move): a moved-from buffer is empty
}

TEST(Hex, RoundTripsAndNamesTheArgument) {
    const Bytes b = {0x00, 0xab, 0xff};
    EXPECT_EQ(to_hex(b), "00abff");
    EXPECT_EQ(*from_hex("00ABff", "x"), b);
    const auto odd = from_hex("abc", "--thing");
    ASSERT_FALSE(odd.ok());
    EXPECT_NE(odd.error().message.find("--thing"), std::string::npos);
    EXPECT_FALSE(from_hex("zz", "x").ok());
    FixedBytes<4> out{};
    const Status wrong = from_hex("0011", out, "--rn1");
    EXPECT_NE(wrong.error().message.find("expected 8 hex digits, got 4"), std::string::npos);
}

TEST(GroupName, AcceptsStrictUtf8Of1To255Bytes) {
    for (const std::string& ok :
         std::vector<std::string>{"a", "研究室", "friends 🎉", std::string(255, 'n'), std::string("\xc2\x80"),
                                  std::string("\xef\xbf\xbf"), std::string("\xf4\x8f\xbf\xbf")}) {
        EXPECT_TRUE(GroupName::parse(ok).ok()) << ok;
    }
}

TEST(GroupName, RefusesEverythingElseWithAReason) {
    const struct {
        std::string name;
        const char* why;
    } bad[] = {
        {"", "empty"},
        {std::string(256, 'n'), "256 bytes"},
        {std::string("a\0b", 3), "NUL"},
        {"\xc0\x80", "UTF-8"},          // overlong NUL
        {"\xe0\x80\x80", "UTF-8"},      // overlong
        {"\xed\xa0\x80", "UTF-8"},      // surrogate
        {"\xf4\x90\x80\x80", "UTF-8"},  // above U+10FFFF
        {"\xe6\x97", "UTF-8"},          // truncated
        {"\x80", "UTF-8"},              // lone continuation
        {"\xf5\x80\x80\x80", "UTF-8"},  // never a lead byte
        {"\xff", "UTF-8"},
    };
    for (const auto& c : bad) {
        const auto r = GroupName::parse(c.name);
        ASSERT_FALSE(r.ok()) << c.why;
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
        EXPECT_NE(r.error().message.find(c.why), std::string::npos) << r.error().message;
    }
}

// RN1 = 00..1f, RN2 = 20..3f, name = "研究室"; expected values computed with Python's hashlib
// and hmac (an implementation independent of libsodium):
//   hashlib.sha256(bytes(range(0,32)) + bytes(range(32,64)) + '研究室'.encode()).hexdigest()
// and HKDF by hand from hmac.new(...) for the key schedule (see docs/protocol.md for labels).
constexpr const char* kGk = "1d2015cc92b282ef5ca991adec9dda263e2ae514a7d60fa4c25b6a3998c461f7";
constexpr const char* kConfirmation = "b659849659ccdae6a0a9bd487335ad7e";
constexpr const char* kMessageKeyAaSeq7 = "80260ffd47a2d492c68e12495a4e18feafe8a63be0a74a490a0e65c39be68afb";

GroupKey vector_gk() {
    FixedBytes<32> a, b;
    for (int i = 0; i < 32; ++i) a[i] = static_cast<std::uint8_t>(i), b[i] = static_cast<std::uint8_t>(32 + i);
    return derive_group_key(Rn1::copy_of(a), Rn2::copy_of(b), *GroupName::parse("研究室"));
}

// The message digest (OpenSSL) and libsodium's SHA-256 agree at every length around the block
// boundaries and at the sizes messages have; a reused per-thread context carries nothing over.
TEST(CiphertextDigest, AgreesWithLibsodiumSha256AtEveryLength) {
    Bytes input(std::size_t{64} * 1024 + 16);
    random_fill(input);
    std::vector<std::size_t> lengths;
    for (std::size_t n = 0; n <= 200; ++n) lengths.push_back(n);
    for (std::size_t n : {1024u + 16u, 4096u, 65536u + 16u}) lengths.push_back(n);
    for (const std::size_t n : lengths) {
        const ByteView prefix = ByteView(input).first(n);
        const auto expected = sha256(prefix);
        EXPECT_EQ(to_hex(ciphertext_digest(prefix)), to_hex(expected)) << n << " bytes";
    }
}

TEST(GroupKey, MatchesAnIndependentSha256) { EXPECT_EQ(to_hex(vector_gk().span()), kGk); }

TEST(GroupKey, EveryInputMatters) {
    const Rn1 r1 = make_rn1();
    const Rn2 r2 = make_rn2();
    const GroupKey base = derive_group_key(r1, r2, *GroupName::parse("team"));
    EXPECT_FALSE(base == derive_group_key(make_rn1(), r2, *GroupName::parse("team")));
    EXPECT_FALSE(base == derive_group_key(r1, make_rn2(), *GroupName::parse("team")));
    EXPECT_FALSE(base == derive_group_key(r1, r2, *GroupName::parse("Team")));
    EXPECT_TRUE(base == derive_group_key(r1, r2, *GroupName::parse("team")));
}

TEST(KeySchedule, MatchesAnIndependentHkdf) {
    const EpochKeySchedule ks(vector_gk());
    EXPECT_EQ(to_hex(ks.key_confirmation_id()), kConfirmation);
    SignPublicKey sender;
    sender.fill(0xaa);
    EXPECT_EQ(to_hex(ks.message_key(sender, 7).span()), kMessageKeyAaSeq7);
}

TEST(KeySchedule, KeysArePerSenderAndSequence) {
    const EpochKeySchedule ks(vector_gk());
    SignPublicKey a, b;
    a.fill(1);
    b.fill(2);
    EXPECT_FALSE(ks.message_key(a, 1) == ks.message_key(a, 2));
    EXPECT_FALSE(ks.message_key(a, 1) == ks.message_key(b, 1));
    EXPECT_TRUE(ks.message_key(a, 1) == ks.message_key(a, 1));
    const EpochKeySchedule other(derive_group_key(make_rn1(), make_rn2(), *GroupName::parse("x")));
    EXPECT_NE(ks.key_confirmation_id(), other.key_confirmation_id());
}

TEST(Hkdf, RefusesOversizedOutputAndShortPrk) {
    Bytes too_long(255 * 32 + 1);
    EXPECT_EQ(hkdf_expand(Bytes(32, 1), {}, too_long).error().code, Errc::invalid_argument);
    Bytes out(32);
    EXPECT_FALSE(hkdf_expand(Bytes(16, 1), {}, out).ok());
}

TEST(Seal, RoundTripAndRefusals) {
    const auto identity = SigningKey::generate();
    const auto x = X25519KeyPair::from_signing_key(identity);
    const auto converted = x25519_public_from_ed25519(identity.public_key());
    ASSERT_TRUE(converted.ok());
    EXPECT_EQ(*converted, x.public_key());  // one identity, both forms agree

    const Bytes secret = {1, 2, 3, 4, 5};
    auto sealed = seal_to(x.public_key(), secret);
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->size(), secret.size() + kSealOverheadBytes);
    auto opened = open_sealed(x, *sealed);
    ASSERT_TRUE(opened.ok());
    EXPECT_TRUE(equal_constant_time(opened->span(), secret));

    const auto stranger = X25519KeyPair::generate();
    EXPECT_EQ(open_sealed(stranger, *sealed).error().code, Errc::auth_failed);
    Bytes tampered = *sealed;
    tampered.back() ^= 1;
    EXPECT_EQ(open_sealed(x, tampered).error().code, Errc::auth_failed);
    EXPECT_EQ(open_sealed(x, ByteView(*sealed).first(10)).error().code, Errc::truncated);
    EXPECT_FALSE(seal_to(Bytes(31, 1), secret).ok());
}

TEST(Password, HashVerifyAndDerive) {
    const auto limits = PwhashLimits::minimum();
    auto hash = hash_password("correct horse battery", limits);
    ASSERT_TRUE(hash.ok());
    EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u);
    EXPECT_TRUE(verify_password(*hash, "correct horse battery"));
    EXPECT_FALSE(verify_password(*hash, "correct horse battery!"));
    EXPECT_FALSE(verify_password("not a hash", "x"));
    EXPECT_NE(*hash, *hash_password("correct horse battery", limits));  // salted

    const Bytes salt(kPassphraseSaltBytes, 7);
    auto k1 = derive_key_from_passphrase(as_bytes("passphrase"), salt, limits);
    auto k2 = derive_key_from_passphrase(as_bytes("passphrase"), salt, limits);
    auto k3 = derive_key_from_passphrase(as_bytes("passphrase"), Bytes(kPassphraseSaltBytes, 8), limits);
    ASSERT_TRUE(k1.ok() && k2.ok() && k3.ok());
    EXPECT_TRUE(*k1 == *k2);
    EXPECT_FALSE(*k1 == *k3);
    EXPECT_EQ(derive_key_from_passphrase(as_bytes("p"), Bytes(3), limits).error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace twofold::crypto::testing
