// CPACE-RISTR255-SHA512 against draft-irtf-cfrg-cpace's vectors
// (tests/vectors/cpace/ristretto255_sha512.json): every intermediate value, then bad points.
#include "handshake/cpace.h"
#include "handshake/cpace_strings.h"
#include "vectors.h"

namespace twofold::handshake {
namespace {

using crypto::testing::hex;
using crypto::testing::hex_of;
using crypto::testing::load_vectors;

const nlohmann::json& vectors() {
    static const nlohmann::json v = load_vectors("cpace/ristretto255_sha512.json");
    return v;
}
const nlohmann::json& tc() { return vectors()["vector"]; }

CpaceScalar scalar_of(const nlohmann::json& v) {
    const Bytes b = hex(v);
    EXPECT_EQ(b.size(), kCpaceScalarBytes);
    return CpaceScalar::copy_of(std::span<const std::uint8_t, kCpaceScalarBytes>(b.data(), kCpaceScalarBytes));
}

TEST(CpaceStrings, DraftVectors) {
    const auto& s = vectors()["strings"];
    std::vector<Bytes> args;
    for (const auto& a : s["lv_cat"]["args_ascii"]) {
        const std::string text = a;
        args.emplace_back(text.begin(), text.end());
    }
    EXPECT_EQ(hex_of(cpace_lv_cat({args[0], args[1], args[2], args[3]})), s["lv_cat"]["result"]);
    for (const auto& c : s["o_cat"]) {
        const std::string a = c["a_ascii"], b = c["b_ascii"];
        EXPECT_EQ(hex_of(cpace_o_cat(as_bytes(a), as_bytes(b))), c["result"]);
    }
    for (const auto& c : s["prepend_len"]) {
        Bytes data(c["length"].get<std::size_t>());
        for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i);
        Bytes out;
        cpace_append_prepend_len(out, data);
        Bytes expected = hex(c["prefix"]);
        append(expected, data);
        EXPECT_EQ(hex_of(out), hex_of(expected)) << c["length"];
    }
}

TEST(Cpace, GeneratorStringAndGenerator) {
    ASSERT_EQ(tc()["DSI"], std::string(kCpaceRistretto255Dsi));
    const auto gen_str =
        cpace_generator_string(as_bytes(kCpaceRistretto255Dsi), hex(tc()["PRS"]), hex(tc()["CI"]), hex(tc()["sid"]));
    EXPECT_EQ(hex_of(gen_str.span()), tc()["generator_string"]);
    const auto g = cpace_calculate_generator(hex(tc()["PRS"]), hex(tc()["CI"]), hex(tc()["sid"]));
    EXPECT_EQ(hex_of(g.span()), tc()["g"]);
}

TEST(Cpace, MessagesSharedPointIskAndSidOutput) {
    const auto g = cpace_calculate_generator(hex(tc()["PRS"]), hex(tc()["CI"]), hex(tc()["sid"]));
    auto ya = cpace_scalar_mult(scalar_of(tc()["ya"]), g);
    auto yb = cpace_scalar_mult(scalar_of(tc()["yb"]), g);
    ASSERT_TRUE(ya.ok() && yb.ok());
    EXPECT_EQ(hex_of(*ya), tc()["Ya"]);
    EXPECT_EQ(hex_of(*yb), tc()["Yb"]);

    auto ka = cpace_scalar_mult_vfy(scalar_of(tc()["ya"]), *yb);
    auto kb = cpace_scalar_mult_vfy(scalar_of(tc()["yb"]), *ya);
    ASSERT_TRUE(ka.ok() && kb.ok());
    EXPECT_EQ(hex_of(ka->span()), tc()["K"]);
    EXPECT_EQ(hex_of(kb->span()), tc()["K"]);

    const Bytes ada = hex(tc()["ADa"]), adb = hex(tc()["ADb"]), sid = hex(tc()["sid"]);
    const Bytes ir = cpace_transcript(CpaceTranscript::initiator_responder, *ya, ada, *yb, adb);
    const Bytes oc = cpace_transcript(CpaceTranscript::ordered, *ya, ada, *yb, adb);
    EXPECT_EQ(hex_of(ir), tc()["transcript_ir"]);
    EXPECT_EQ(hex_of(oc), tc()["transcript_oc"]);
    EXPECT_EQ(hex_of(cpace_isk(sid, *ka, ir).span()), tc()["ISK_IR"]);
    EXPECT_EQ(hex_of(cpace_isk(sid, *ka, oc).span()), tc()["ISK_SY"]);
    EXPECT_EQ(hex_of(cpace_sid_output(ir)), tc()["sid_output_ir"]);
    EXPECT_EQ(hex_of(cpace_sid_output(oc)), tc()["sid_output_oc"]);
}

TEST(Cpace, PartiesReproduceTheVectorInBothModes) {
    const Bytes prs = hex(tc()["PRS"]), ci = hex(tc()["CI"]), sid = hex(tc()["sid"]);
    const Bytes ada = hex(tc()["ADa"]), adb = hex(tc()["ADb"]);
    for (auto [mode, isk] :
         {std::pair{CpaceTranscript::initiator_responder, "ISK_IR"}, std::pair{CpaceTranscript::ordered, "ISK_SY"}}) {
        CpaceParty a(CpaceParty::Role::initiator, prs, ci, sid, ada, mode, scalar_of(tc()["ya"]));
        CpaceParty b(CpaceParty::Role::responder, prs, ci, sid, adb, mode, scalar_of(tc()["yb"]));
        auto ya = a.message();
        auto yb = b.message();
        ASSERT_TRUE(ya.ok() && yb.ok());
        auto isk_a = a.finish(*yb, adb);
        auto isk_b = b.finish(*ya, ada);
        ASSERT_TRUE(isk_a.ok() && isk_b.ok());
        EXPECT_EQ(hex_of(isk_a->span()), tc()[isk]);
        EXPECT_EQ(hex_of(isk_b->span()), tc()[isk]);
    }
}

TEST(Cpace, ValidPointVector) {
    const auto& v = vectors()["points"]["valid"];
    auto k = cpace_scalar_mult_vfy(scalar_of(v["s"]), hex(v["X"]));
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(hex_of(k->span()), v["G.scalar_mult_vfy(s,X)"]);
}

TEST(Cpace, InvalidPointsFromTheDraftAreRefused) {
    const auto& invalid = vectors()["points"]["invalid"];
    ASSERT_EQ(invalid.size(), 2u);
    const auto s = scalar_of(vectors()["points"]["valid"]["s"]);
    // Y1: not a valid encoding; Y2: the identity element's encoding.
    auto y1 = cpace_scalar_mult_vfy(s, hex(invalid["Invalid Y1"]));
    ASSERT_FALSE(y1.ok());
    EXPECT_EQ(y1.error().code, Errc::malformed);
    EXPECT_NE(y1.error().message.find("not a valid ristretto255 encoding"), std::string::npos);
    auto y2 = cpace_scalar_mult_vfy(s, hex(invalid["Invalid Y2"]));
    ASSERT_FALSE(y2.ok());
    EXPECT_NE(y2.error().message.find("identity"), std::string::npos) << y2.error().message;

    // A party aborts on them too, and on points of the wrong length.
    CpaceParty a(CpaceParty::Role::initiator, hex(tc()["PRS"]), hex(tc()["CI"]), hex(tc()["sid"]), {},
                 CpaceTranscript::initiator_responder);
    for (const auto& [name, point] : invalid.items()) EXPECT_FALSE(a.finish(hex(point), {}).ok()) << name;
    EXPECT_EQ(a.finish(Bytes(31, 1), {}).error().code, Errc::truncated);
    EXPECT_EQ(a.finish(Bytes(33, 1), {}).error().code, Errc::too_large);
}

TEST(Cpace, DifferentPasswordsOrContextsGiveDifferentKeys) {
    auto run = [](std::string_view prs_a, std::string_view prs_b, std::string_view sid_b) {
        const Bytes ci = hex(tc()["CI"]);
        CpaceParty a(CpaceParty::Role::initiator, as_bytes(prs_a), ci, as_bytes("session-1"), {},
                     CpaceTranscript::initiator_responder);
        CpaceParty b(CpaceParty::Role::responder, as_bytes(prs_b), ci, as_bytes(sid_b), {},
                     CpaceTranscript::initiator_responder);
        auto ka = a.finish(*b.message(), {});
        auto kb = b.finish(*a.message(), {});
        return *ka == *kb;
    };
    EXPECT_TRUE(run("7-tulip-harbor", "7-tulip-harbor", "session-1"));
    EXPECT_FALSE(run("7-tulip-harbor", "8-tulip-harbor", "session-1"));
    EXPECT_FALSE(run("7-tulip-harbor", "7-tulip-harbor", "session-2"));
}

TEST(Cpace, SampledScalarsHaveTheTopBitsCleared) {
    for (int i = 0; i < 64; ++i) EXPECT_EQ(cpace_sample_scalar().span()[kCpaceScalarBytes - 1] & 0xf0, 0);
}

}  // namespace
}  // namespace twofold::handshake
