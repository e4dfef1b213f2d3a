// Known answers from published documents (tests/vectors/rfc_kat.json names the source of each):
// FIPS 180-2, RFC 5869, RFC 8032, RFC 7748, draft-irtf-cfrg-xchacha.
#include "crypto/aead.h"
#include "crypto/digest.h"
#include "crypto/hkdf.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "crypto/x25519.h"
#include "vectors.h"

namespace twofold::crypto::testing {
namespace {

const nlohmann::json& kat() {
    static const nlohmann::json v = load_vectors("rfc_kat.json");
    return v;
}

// The message a SHA-256 vector names: msg_ascii, `repeat` times (once if absent).
std::string sha256_vector_message(const nlohmann::json& c) {
    const std::string unit = c["msg_ascii"];
    std::string msg;
    for (std::size_t i = 0, n = c.value("repeat", std::size_t{1}); i < n; ++i) msg += unit;
    return msg;
}

TEST(Kat, Sha256Fips180) {
    ASSERT_EQ(kat()["sha256"].size(), 5u);
    for (const auto& c : kat()["sha256"]) {
        const std::string msg = sha256_vector_message(c);
        EXPECT_EQ(hex_of(sha256(as_bytes(msg))), c["digest"]) << c["source"];
        // The incremental interface gives the same digest however the input is split.
        Sha256 h;
        for (std::size_t at = 0, step = 1; at < msg.size(); at += step, step = step % 97 + 1) {
            h.update(as_bytes(std::string_view(msg).substr(at, step)));
        }
        FixedBytes<kSha256Bytes> out;
        h.finish(out);
        EXPECT_EQ(hex_of(out), c["digest"]) << c["source"];
    }
}

// The group message digest (OpenSSL) against the same published vectors, the million 'a' among them.
TEST(Kat, CiphertextDigestIsSha256) {
    ASSERT_EQ(kat()["sha256"].size(), 5u);
    for (const auto& c : kat()["sha256"]) {
        const std::string msg = sha256_vector_message(c);
        EXPECT_EQ(hex_of(ciphertext_digest(as_bytes(msg))), c["digest"]) << c["source"];
    }
}

TEST(Kat, HkdfRfc5869) {
    ASSERT_EQ(kat()["hkdf_sha256"].size(), 3u);
    for (const auto& c : kat()["hkdf_sha256"]) {
        const HkdfPrk prk = hkdf_extract(hex(c["salt"]), hex(c["ikm"]));
        EXPECT_EQ(hex_of(prk.span()), c["prk"]) << c["source"];
        Bytes okm(c["length"].get<std::size_t>());
        ASSERT_TRUE(hkdf_expand(prk.span(), hex(c["info"]), okm).ok());
        EXPECT_EQ(hex_of(okm), c["okm"]) << c["source"];
    }
}

TEST(Kat, Ed25519Rfc8032) {
    ASSERT_EQ(kat()["ed25519"].size(), 4u);
    for (const auto& c : kat()["ed25519"]) {
        auto key = SigningKey::from_seed(hex(c["secret"]));
        ASSERT_TRUE(key.ok());
        EXPECT_EQ(hex_of(key->public_key()), c["public"]) << c["source"];
        const Bytes msg = hex(c["msg"]);
        EXPECT_EQ(hex_of(key->sign(msg)), c["sig"]) << c["source"];
        EXPECT_TRUE(verify_signature(hex(c["public"]), msg, hex(c["sig"])).ok()) << c["source"];
        Bytes bad = hex(c["sig"]);
        bad[10] ^= 1;
        EXPECT_EQ(verify_signature(hex(c["public"]), msg, bad).error().code, Errc::auth_failed);
    }
}

TEST(Kat, X25519Rfc7748) {
    for (const auto& c : kat()["x25519"]) {
        auto out = x25519(hex(c["scalar"]), hex(c["u"]));
        ASSERT_TRUE(out.ok()) << c["source"];
        EXPECT_EQ(hex_of(out->span()), c["out"]) << c["source"];
    }
    // Iterated: k = u = 9; each round, u becomes the old k and k the result.
    Bytes k(32, 0), u(32, 0);
    k[0] = u[0] = 9;
    const auto& it = kat()["x25519_iterated"];
    for (int i = 1; i <= 1000; ++i) {
        auto r = x25519(k, u);
        ASSERT_TRUE(r.ok());
        u = k;
        k.assign(r->span().begin(), r->span().end());
        if (i == 1) {
            EXPECT_EQ(hex_of(k), it["after_1"]);
        }
    }
    EXPECT_EQ(hex_of(k), it["after_1000"]) << it["source"];
}

TEST(Kat, X25519AgreementRfc7748) {
    const auto& c = kat()["x25519_agreement"];
    Bytes base(32, 0);
    base[0] = 9;
    EXPECT_EQ(hex_of(x25519(hex(c["alice_private"]), base)->span()), c["alice_public"]);
    EXPECT_EQ(hex_of(x25519(hex(c["bob_private"]), base)->span()), c["bob_public"]);
    EXPECT_EQ(hex_of(x25519(hex(c["alice_private"]), hex(c["bob_public"]))->span()), c["shared"]);
    EXPECT_EQ(hex_of(x25519(hex(c["bob_private"]), hex(c["alice_public"]))->span()), c["shared"]);
}

TEST(Kat, XChaCha20Poly1305DraftA31) {
    const auto& c = kat()["xchacha20_poly1305"];
    auto sealed = aead_seal(hex(c["key"]), hex(c["nonce"]), hex(c["plaintext"]), hex(c["aad"]));
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(hex_of(*sealed), c["ciphertext"].get<std::string>() + c["tag"].get<std::string>()) << c["source"];
    auto opened = aead_open(hex(c["key"]), hex(c["nonce"]), *sealed, hex(c["aad"]));
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(*opened, hex(c["plaintext"]));
    Bytes wrong_ad = hex(c["aad"]);
    wrong_ad.back() ^= 1;
    EXPECT_EQ(aead_open(hex(c["key"]), hex(c["nonce"]), *sealed, wrong_ad).error().code, Errc::auth_failed);
}

}  // namespace
}  // namespace twofold::crypto::testing
