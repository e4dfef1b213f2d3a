// What mosquitto and the plugin write to disk — the broker's persistence file (with envelopes
// queued for an absent member in it), the plugin's state file and the broker's log — holds no
// plaintext, group name, RN1 or GK, raw or in hex. The envelopes are real: made by the member
// library's message protection (member/message_protection.h) from a known plaintext, group name,
// RN1 and RN2, as members publish them.
#include <fstream>
#include <sstream>

#include "broker_fixture.h"
#include "crypto/gk.h"
#include "crypto/key_schedule.h"
#include "member/message_protection.h"

namespace twofold::mqtt_auth::testing {
namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

template <std::size_t N>
std::string raw(std::span<const std::uint8_t, N> bytes) {
    return std::string(bytes.begin(), bytes.end());
}

TEST_F(BrokerTest, PersistenceStateAndLogHoldNoPlaintextGroupNameRn1OrGk) {
    Identity alice{"alice"}, bob{"bob"};
    const std::string name = "tf-mqtt-secret-name-" + std::to_string(::getpid());
    const std::string plaintext = "tf-mqtt-plaintext-marker: meet at the usual place";
    auto group_name = crypto::GroupName::parse(name);
    ASSERT_TRUE(group_name.ok());
    const auto rn1 = crypto::make_rn1();
    const auto rn2 = crypto::make_rn2();
    const auto gk = crypto::derive_group_key(rn1, rn2, *group_name);
    const crypto::EpochKeySchedule keys(gk);

    // bob subscribes with a persistent session and leaves; alice's envelopes queue for him.
    {
        auto b = connect(bob, /*clean_session=*/false);
        present(*b, bob, 3, later);
        ASSERT_EQ(b->subscribe(topic), 1);
        ASSERT_EQ(b->subscribe(bob.mailbox()), 1);
    }
    auto a = connect(alice);
    present(*a, alice, 3, later);
    std::vector<std::string> envelopes;
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
        auto envelope = member::protect_message(as_bytes(group), {1, 3}, keys, alice.key, seq, as_bytes(plaintext));
        ASSERT_TRUE(envelope.ok());
        envelopes.emplace_back(envelope->begin(), envelope->end());
        ASSERT_TRUE(a->publish(topic, envelopes.back()));
    }
    ASSERT_TRUE(a->publish(bob.mailbox(), envelopes.front()));
    ASSERT_TRUE(broker.stop()) << broker.log();  // writes mosquitto.db

    const std::vector<std::pair<std::string, std::string>> needles = {
        {"plaintext", plaintext}, {"group name", name}, {"RN1", raw(rn1.span())}, {"GK", raw(gk.span())},
        {"RN2", raw(rn2.span())},
    };
    const std::string db = slurp(broker.persistence_file());
    // The scan means something only if the queued envelopes are in the file.
    for (const auto& e : envelopes) ASSERT_NE(db.find(e), std::string::npos) << "envelope not in mosquitto.db";
    std::size_t scanned = 0;
    for (const auto& entry : std::filesystem::directory_iterator(broker.dir())) {
        const auto file = entry.path().filename().string();
        if (file.ends_with(".pem")) continue;  // the broker's own TLS key and certificate
        const std::string bytes = slurp(entry.path());
        ++scanned;
        for (const auto& [what, needle] : needles) {
            const std::string hex = crypto::to_hex(as_bytes(needle));
            EXPECT_EQ(bytes.find(needle), std::string::npos) << what << " in " << file;
            EXPECT_EQ(bytes.find(hex), std::string::npos) << what << " (hex) in " << file;
            EXPECT_EQ(bytes.find(upper(hex)), std::string::npos) << what << " (HEX) in " << file;
        }
    }
    // mosquitto.db, mosquitto.log, the plugin's state file (and its WAL, if still there), the config.
    EXPECT_GE(scanned, 4u);
    EXPECT_TRUE(std::filesystem::exists(broker.plugin_state_file()));
}

}  // namespace
}  // namespace twofold::mqtt_auth::testing
