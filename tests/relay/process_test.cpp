// The real twofold-relay binary: kill -9 in the middle of a burst loses no acknowledged
// envelope; SIGTERM stops it cleanly; and its files hold no plaintext of what members sent.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include "crypto/aead.h"
#include "crypto/hex.h"
#include "relay_binary_test.h"

namespace twofold::relay {
namespace {

using namespace std::chrono_literals;
using testing::group_id_for;
using testing::key_of;

constexpr auto kWait = 10s;
constexpr auto kQuiet = 1s;
constexpr std::size_t kWindowBytes = 16;  // any 16 consecutive plaintext bytes count as a leak

class RelayProcessTest : public testing::RelayBinaryTest {
  protected:
    v1::MembershipStatement statement(const crypto::SigningKey& key) {
        return gms_.statement(group_, key, 1, static_cast<std::uint64_t>(::time(nullptr)) + testing::kHourSeconds);
    }

    const std::string group_ = group_id_for(3);
    crypto::SigningKey alice_ = crypto::SigningKey::generate();
    crypto::SigningKey bob_ = crypto::SigningKey::generate();
};

TEST_F(RelayProcessTest, KillNineLosesNoAcknowledgedEnvelope) {
    start();
    {
        auto bob = member(bob_);
        ASSERT_TRUE(bob && bob->subscribe(as_bytes(group_), statement(bob_)).ok());
    }
    std::mutex mu;
    std::map<std::uint64_t, std::string> acknowledged;  // id -> payload
    std::atomic<bool> started{false};
    std::thread burst([&] {
        auto alice = member(alice_);
        if (!alice) return;
        const auto st = statement(alice_);
        for (int i = 0;; ++i) {
            const std::string payload = "burst-" + std::to_string(i);
            auto id = alice->publish(as_bytes(group_), st, v1::ENVELOPE_TYPE_GROUP_MESSAGE, as_bytes(payload));
            if (!id) return;  // the relay died
            std::lock_guard lock(mu);
            acknowledged[*id] = payload;
            started = true;
        }
    });
    while (!started) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(500ms);
    relay_.kill_now();  // SIGKILL in the middle of the burst
    burst.join();
    ASSERT_GT(acknowledged.size(), 10u);

    start();  // the same data directory, a new port
    auto bob = member(bob_);
    ASSERT_TRUE(bob && bob->subscribe(as_bytes(group_), statement(bob_)).ok());
    std::map<std::uint64_t, std::string> delivered;
    while (true) {
        auto e = bob->receive(kQuiet);
        if (!e) break;
        delivered[e->id()] = e->payload();
        const std::uint64_t ids[] = {e->id()};
        ASSERT_TRUE(bob->ack(ids).ok());
    }
    for (const auto& [id, payload] : acknowledged) {
        ASSERT_TRUE(delivered.contains(id)) << "acknowledged envelope " << id << " was lost";
        EXPECT_EQ(delivered[id], payload);
    }
}

TEST_F(RelayProcessTest, SigtermStopsCleanly) {
    start();
    auto alice = member(alice_);
    ASSERT_TRUE(alice);
    EXPECT_EQ(relay_.terminate(), 0);
}

// Every 16-byte window of every plaintext, looked up while sliding over each file once.
std::size_t count_leaks(const std::filesystem::path& dir, const std::vector<std::string>& plaintexts) {
    std::unordered_set<std::string_view> windows;
    for (const auto& p : plaintexts) {
        for (std::size_t i = 0; i + kWindowBytes <= p.size(); ++i)
            windows.insert(std::string_view(p).substr(i, kWindowBytes));
    }
    std::size_t leaks = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (std::size_t i = 0; i + kWindowBytes <= bytes.size(); ++i) {
            if (windows.contains(std::string_view(bytes).substr(i, kWindowBytes))) ++leaks;
        }
    }
    return leaks;
}

TEST_F(RelayProcessTest, RelayFilesHoldNoPlaintextOfGroupTraffic) {
    start({"--log-level", "trace"});
    crypto::SigningKey carol_key = crypto::SigningKey::generate();
    auto alice = member(alice_);
    auto bob = member(bob_);
    auto carol = member(carol_key);
    ASSERT_TRUE(alice && bob && carol);
    ASSERT_TRUE(bob->subscribe(as_bytes(group_), statement(bob_)).ok());
    ASSERT_TRUE(carol->subscribe(as_bytes(group_), statement(carol_key)).ok());
    // The group key: members have it, the relay never sees it.
    const auto key = crypto::random_array<crypto::kAeadKeyBytes>();
    std::vector<std::string> plaintexts;
    std::vector<std::string> ciphertexts;
    constexpr int kMessages = 200;
    const auto st = statement(alice_);
    for (int i = 0; i < kMessages; ++i) {
        plaintexts.push_back("plaintext message " + std::to_string(i) + " that only members may read: meet at noon");
        const auto nonce = crypto::random_array<crypto::kAeadNonceBytes>();
        auto sealed = crypto::aead_seal(key, nonce, as_bytes(plaintexts.back()), {});
        ASSERT_TRUE(sealed.ok());
        std::string payload(nonce.begin(), nonce.end());
        payload.append(sealed->begin(), sealed->end());
        ciphertexts.push_back(payload);
        if (i % 2 == 0) {
            ASSERT_TRUE(alice->publish(as_bytes(group_), st, v1::ENVELOPE_TYPE_GROUP_MESSAGE, as_bytes(payload)).ok());
        } else {
            ASSERT_TRUE(alice->send(as_bytes(key_of(bob_)), v1::ENVELOPE_TYPE_RN1_DELIVERY, as_bytes(payload)).ok());
        }
    }
    // Bob reads and acknowledges (his rows are deleted); carol reads nothing (hers stay stored).
    for (int i = 0; i < kMessages; ++i) {
        auto e = bob->receive(kWait);
        ASSERT_TRUE(e.ok()) << e.error().message;
        const std::uint64_t ids[] = {e->id()};
        ASSERT_TRUE(bob->ack(ids).ok());
    }
    alice.reset();
    bob.reset();
    carol.reset();
    ASSERT_EQ(relay_.terminate(), 0);  // logs flushed, WAL as it is
    EXPECT_EQ(count_leaks(dir_, plaintexts), 0u);
    // The scan works: carol's undelivered ciphertexts are in the relay's files.
    EXPECT_GT(count_leaks(dir_, ciphertexts), 0u);
}

}  // namespace
}  // namespace twofold::relay
