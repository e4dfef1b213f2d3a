// The invitation code: generation from injected randomness, normalisation, refusals, and the
// whole chain code -> CPace -> PSK -> Noise XXpsk3.
#include <cmath>

#include "handshake/direct_route_keys.h"
#include "handshake/invite_code.h"
#include "handshake/invite_words.h"
#include "vectors.h"

namespace twofold::handshake {
namespace {

using crypto::testing::hex;
using crypto::testing::hex_of;

std::string canonical(const InviteCode& c) { return as_string(c.canonical()); }

// Hands out the given bytes in order.
RandomSource scripted(Bytes bytes) {
    auto at = std::make_shared<std::size_t>(0);
    auto data = std::make_shared<Bytes>(std::move(bytes));
    return [at, data](MutableByteView out) {
        for (auto& b : out) b = (*data).at((*at)++);
    };
}

TEST(InviteWords, TwoHundredFiftySixDistinctSortedShortWords) {
    const auto& words = invite_words();
    ASSERT_EQ(words.size(), 256u);
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i > 0) {
            EXPECT_LT(words[i - 1], words[i]) << "sorted and distinct at " << i;
        }
        EXPECT_GE(words[i].size(), 3u);
        EXPECT_LE(words[i].size(), 8u);
        for (char c : words[i]) EXPECT_TRUE(c >= 'a' && c <= 'z') << words[i];
        EXPECT_EQ(invite_word_index(words[i]), std::optional<std::uint8_t>(static_cast<std::uint8_t>(i)));
    }
    EXPECT_FALSE(invite_word_index("tulips").has_value());
}

TEST(InviteCode, EntropyIsWhatTheDocsSay) { EXPECT_NEAR(kInviteCodeEntropyBits, std::log2(999.0) + 16.0, 0.005); }

TEST(InviteCode, GeneratedFromInjectedRandomness) {
    const auto& words = invite_words();
    // Number bytes 0x06 0x00 -> 6 -> number 7; then word indices 0xf1 and 0x6c.
    auto code = InviteCode::generate(scripted({0x06, 0x00, 0xf1, 0x6c}));
    EXPECT_EQ(code.number(), 7);
    EXPECT_EQ(canonical(code), "7-" + std::string(words[0xf1]) + "-" + std::string(words[0x6c]));
}

TEST(InviteCode, NumbersCoverOneToNineHundredNinetyNine) {
    EXPECT_EQ(InviteCode::generate(scripted({0x00, 0x00, 0, 0})).number(), 1);
    EXPECT_EQ(InviteCode::generate(scripted({0xe6, 0x03, 0, 0})).number(), 999);  // 0x3e6 = 998
    // Only the low 10 bits count, and 999..1023 are drawn again, so numbers are uniform.
    EXPECT_EQ(InviteCode::generate(scripted({0xe7, 0x03, 0xff, 0xff, 0x05, 0xfc, 0, 0})).number(), 6);
}

TEST(InviteCode, RoundTripsAndDiffers) {
    auto a = InviteCode::generate();
    auto parsed = InviteCode::parse(canonical(a));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(canonical(*parsed), canonical(a));
    int same = 0;
    for (int i = 0; i < 8; ++i) same += canonical(InviteCode::generate()) == canonical(a);
    EXPECT_LT(same, 2);
}

TEST(InviteCode, NormalisesCaseSpacesAndDashes) {
    for (const char* typed : {"7-tulip-harbor", "7 tulip harbor", "  7 Tulip  HARBOR ", "7 - tulip - harbor",
                              "7--tulip-harbor-", "7\ttulip harbor"}) {
        auto c = InviteCode::parse(typed);
        ASSERT_TRUE(c.ok()) << typed << ": " << c.error().message;
        EXPECT_EQ(canonical(*c), "7-tulip-harbor") << typed;
    }
}

TEST(InviteCode, MalformedCodesNameThePartAndNeverEchoIt) {
    struct Case {
        const char* typed;
        const char* says;
    };
    const Case cases[] = {
        {"", "a number and two words"},
        {"7-tulip", "a number and two words"},
        {"7-tulip-harbor-otter", "a number and two words"},
        {"0-tulip-harbor", "number from 1 to 999"},
        {"1000-tulip-harbor", "number from 1 to 999"},
        {"07-tulip-harbor", "number from 1 to 999"},
        {"seven-tulip-harbor", "number from 1 to 999"},
        {"7-tulpi-harbor", "first word"},
        {"7-tulip-harbour", "second word"},
        {"7_tulip_harbor", "a number and two words"},
    };
    for (const auto& c : cases) {
        auto r = InviteCode::parse(c.typed);
        ASSERT_FALSE(r.ok()) << c.typed;
        EXPECT_EQ(r.error().code, Errc::malformed) << c.typed;
        EXPECT_NE(r.error().message.find(c.says), std::string::npos) << c.typed << ": " << r.error().message;
        // The code is a password: no word of what was typed may reach the message.
        std::string word;
        for (const char* p = c.typed;; ++p) {
            if (*p >= 'a' && *p <= 'z') {
                word += *p;
                continue;
            }
            if (!word.empty()) {
                EXPECT_EQ(r.error().message.find(word), std::string::npos) << r.error().message;
            }
            word.clear();
            if (*p == '\0') break;
        }
    }
    auto huge = InviteCode::parse(std::string(65, '7'));
    ASSERT_FALSE(huge.ok());
    EXPECT_EQ(huge.error().code, Errc::too_large);
}

const Bytes kNonce(16, 0xa5);
const Bytes kInviter(32, 0x11);
const Bytes kInvitee(32, 0x22);

TEST(DirectRouteKeys, PskIsOneLabelledHkdfStepFromTheIsk) {
    // Expected value computed independently (Python hmac/hashlib) from the CPace vector's ISK_IR.
    const Bytes isk = hex(crypto::testing::load_vectors("cpace/ristretto255_sha512.json")["vector"]["ISK_IR"]);
    auto psk = direct_route_noise_psk(CpaceIsk::copy_of(std::span<const std::uint8_t, kCpaceIskBytes>(isk.data(), 64)));
    ASSERT_TRUE(psk.ok());
    EXPECT_EQ(hex_of(psk->span()), "ea3dc662d609c012a126d10529cd72dbcf42190d301378cace9e2ca8b9790882");
}

TEST(DirectRouteKeys, InputsAreCheckedAndBindTheIdentitiesInOrder) {
    auto code = std::move(InviteCode::parse("7-tulip-harbor")).value();
    EXPECT_FALSE(direct_route_cpace_inputs(code, Bytes(15, 0), kInviter, kInvitee).ok());
    EXPECT_FALSE(direct_route_cpace_inputs(code, kNonce, Bytes(31, 0), kInvitee).ok());
    auto ab = direct_route_cpace_inputs(code, kNonce, kInviter, kInvitee);
    auto ba = direct_route_cpace_inputs(code, kNonce, kInvitee, kInviter);
    ASSERT_TRUE(ab.ok() && ba.ok());
    EXPECT_NE(ab->ci, ba->ci);
    EXPECT_EQ(as_string(ab->prs), "7-tulip-harbor");
}

// The whole direct-route key chain: both sides run CPace on the code, derive the PSK, and run
// Noise XXpsk3 with their identity-derived static keys.
struct ChainResult {
    bool handshake_ok;
    std::string error;
};

ChainResult run_chain(std::string_view inviter_code, std::string_view invitee_code, const Bytes& invitee_nonce) {
    auto code_a = std::move(InviteCode::parse(inviter_code)).value();
    auto code_b = std::move(InviteCode::parse(invitee_code)).value();
    auto in_a = *direct_route_cpace_inputs(code_a, kNonce, kInviter, kInvitee);
    auto in_b = *direct_route_cpace_inputs(code_b, invitee_nonce, kInviter, kInvitee);
    CpaceParty a(CpaceParty::Role::initiator, in_a.prs, in_a.ci, in_a.sid, {}, CpaceTranscript::initiator_responder);
    CpaceParty b(CpaceParty::Role::responder, in_b.prs, in_b.ci, in_b.sid, {}, CpaceTranscript::initiator_responder);
    auto isk_a = a.finish(*b.message(), {});
    auto isk_b = b.finish(*a.message(), {});
    auto psk_a = direct_route_noise_psk(*isk_a);
    auto psk_b = direct_route_noise_psk(*isk_b);

    NoiseXXpsk3Handshake inviter(NoiseRole::initiator, NoiseKeyPair::generate(), std::move(*psk_a), as_bytes("p"));
    NoiseXXpsk3Handshake invitee(NoiseRole::responder, NoiseKeyPair::generate(), std::move(*psk_b), as_bytes("p"));
    auto m1 = inviter.write_message({});
    if (auto r = invitee.read_message(*m1); !r) return {false, r.error().message};
    auto m2 = invitee.write_message({});
    if (auto r = inviter.read_message(*m2); !r) return {false, r.error().message};
    auto m3 = inviter.write_message(as_bytes("RN1 goes over the transport"));
    if (auto r = invitee.read_message(*m3); !r) return {false, r.error().message};
    return {true, {}};
}

TEST(DirectRouteKeys, SameCodeGivesAWorkingChannel) {
    auto r = run_chain("7-tulip-harbor", "7 Tulip Harbor", kNonce);
    EXPECT_TRUE(r.handshake_ok) << r.error;
}

TEST(DirectRouteKeys, WrongCodeOrOtherInvitationFailsAtTheThirdNoiseMessage) {
    for (auto r : {run_chain("7-tulip-harbor", "8-tulip-harbor", kNonce),
                   run_chain("7-tulip-harbor", "7-tulip-harbor", Bytes(16, 0x5a))}) {
        EXPECT_FALSE(r.handshake_ok);
        EXPECT_NE(r.error.find("message 3"), std::string::npos) << r.error;
        EXPECT_NE(r.error.find("PSK"), std::string::npos) << r.error;
    }
}

}  // namespace
}  // namespace twofold::handshake
