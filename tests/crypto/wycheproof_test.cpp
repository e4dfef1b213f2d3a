// Project Wycheproof through twofold's wrappers (tests/vectors/wycheproof, Apache 2.0): every
// "valid" case passes and every "invalid" case is rejected. "acceptable" cases:
//  - x25519: a low-order peer key gives an all-zero shared secret (flag ZeroSharedSecret); our
//    x25519() refuses it, as RFC 7748 section 6.1 allows. Every other acceptable case (twist
//    points, non-canonical u-coordinates) must give the listed shared secret.
//  - the other files have none.
// Each test counts the cases it ran, so a file that silently yields nothing fails.
#include <algorithm>

#include "crypto/aead.h"
#include "crypto/hkdf.h"
#include "crypto/hmac.h"
#include "crypto/sign.h"
#include "crypto/x25519.h"
#include "vectors.h"

namespace twofold::crypto::testing {
namespace {

struct Counts {
    int valid = 0, invalid = 0, acceptable = 0;
    int total() const { return valid + invalid + acceptable; }
};

template <class Check>
Counts for_each_case(const std::string& file, Check check) {
    const auto v = load_vectors("wycheproof/" + file);
    Counts n;
    for (const auto& group : v["testGroups"]) {
        for (const auto& t : group["tests"]) {
            const std::string result = t["result"];
            (result == "valid" ? n.valid : result == "invalid" ? n.invalid : n.acceptable)++;
            check(group, t, result);
        }
    }
    EXPECT_EQ(n.total(), v["numberOfTests"].get<int>()) << file;
    return n;
}

bool has_flag(const nlohmann::json& t, const char* flag) {
    const auto& f = t["flags"];
    return std::find(f.begin(), f.end(), flag) != f.end();
}

TEST(Wycheproof, X25519) {
    const Counts n = for_each_case("x25519_test.json", [](const nlohmann::json&, const nlohmann::json& t, const std::string& result) {
        auto shared = x25519(hex(t["private"]), hex(t["public"]));
        const bool zero = has_flag(t, "ZeroSharedSecret");
        if (result == "invalid" || (result == "acceptable" && zero)) {
            EXPECT_FALSE(shared.ok()) << "tcId " << t["tcId"];
            return;
        }
        ASSERT_TRUE(shared.ok()) << "tcId " << t["tcId"] << ": " << shared.error().message;
        EXPECT_EQ(hex_of(shared->span()), t["shared"]) << "tcId " << t["tcId"];
    });
    EXPECT_EQ(n.valid, 264);
    EXPECT_EQ(n.acceptable, 254);
}

TEST(Wycheproof, Ed25519) {
    const Counts n = for_each_case("ed25519_test.json", [](const nlohmann::json& group, const nlohmann::json& t, const std::string& result) {
        const Status s = verify_signature(hex(group["publicKey"]["pk"]), hex(t["msg"]), hex(t["sig"]));
        EXPECT_EQ(s.ok(), result == "valid") << "tcId " << t["tcId"] << " " << t["comment"];
    });
    EXPECT_EQ(n.valid, 88);
    EXPECT_EQ(n.invalid, 63);
}

TEST(Wycheproof, HkdfSha256) {
    const Counts n = for_each_case("hkdf_sha256_test.json", [](const nlohmann::json&, const nlohmann::json& t, const std::string& result) {
        Bytes okm(t["size"].get<std::size_t>());
        const Status s = hkdf(hex(t["salt"]), hex(t["ikm"]), hex(t["info"]), okm);
        if (result == "invalid") {
            EXPECT_FALSE(s.ok()) << "tcId " << t["tcId"];
            return;
        }
        ASSERT_TRUE(s.ok()) << "tcId " << t["tcId"];
        EXPECT_EQ(hex_of(okm), t["okm"]) << "tcId " << t["tcId"];
    });
    EXPECT_EQ(n.valid, 83);
    EXPECT_EQ(n.invalid, 3);
}

TEST(Wycheproof, HmacSha256) {
    const Counts n = for_each_case("hmac_sha256_test.json", [](const nlohmann::json& group, const nlohmann::json& t, const std::string& result) {
        const Bytes key = hex(t["key"]), msg = hex(t["msg"]), tag = hex(t["tag"]);
        EXPECT_EQ(tag.size() * 8, group["tagSize"].get<std::size_t>());
        EXPECT_EQ(hmac_sha256_verify(key, msg, tag), result == "valid") << "tcId " << t["tcId"] << " " << t["comment"];
        if (result == "valid") {
            FixedBytes<kHmacSha256Bytes> full;
            hmac_sha256(key, msg, full);
            EXPECT_TRUE(std::equal(tag.begin(), tag.end(), full.begin())) << "tcId " << t["tcId"];
        }
    });
    EXPECT_EQ(n.valid, 66);
    EXPECT_EQ(n.invalid, 108);
}

using Encrypt = Status (*)(ByteView, ByteView, ByteView, ByteView, MutableByteView);

Counts aead_cases(const std::string& file, Encrypt encrypt, Encrypt decrypt) {
    return for_each_case(file, [&](const nlohmann::json&, const nlohmann::json& t, const std::string& result) {
        const Bytes key = hex(t["key"]), iv = hex(t["iv"]), aad = hex(t["aad"]), msg = hex(t["msg"]);
        Bytes sealed = hex(t["ct"]);
        const Bytes tag = hex(t["tag"]);
        sealed.insert(sealed.end(), tag.begin(), tag.end());
        Bytes opened(sealed.size() >= kAeadTagBytes ? sealed.size() - kAeadTagBytes : 0);
        const Status open = decrypt(key, iv, sealed, aad, opened);
        if (result == "invalid") {
            EXPECT_FALSE(open.ok()) << "tcId " << t["tcId"] << " " << t["comment"];
            return;
        }
        ASSERT_TRUE(open.ok()) << "tcId " << t["tcId"] << ": " << open.error().message;
        EXPECT_EQ(opened, msg) << "tcId " << t["tcId"];
        Bytes out(msg.size() + kAeadTagBytes);
        ASSERT_TRUE(encrypt(key, iv, msg, aad, out).ok());
        EXPECT_EQ(out, sealed) << "tcId " << t["tcId"];
    });
}

TEST(Wycheproof, XChaCha20Poly1305) {
    const Counts n = aead_cases("xchacha20_poly1305_test.json", aead_encrypt, aead_decrypt);
    EXPECT_EQ(n.valid, 246);
    EXPECT_EQ(n.invalid, 69);
}

TEST(Wycheproof, ChaCha20Poly1305Ietf) {
    const Counts n =
        aead_cases("chacha20_poly1305_test.json", chacha20poly1305_ietf_encrypt, chacha20poly1305_ietf_decrypt);
    EXPECT_EQ(n.valid, 256);
    EXPECT_EQ(n.invalid, 69);
}

}  // namespace
}  // namespace twofold::crypto::testing
