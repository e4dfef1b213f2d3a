// twofold-gms as a process. kill -9 during a burst of membership changes, then restart: no
// acknowledged change is lost, epochs and LKH state are consistent, and members converge on the
// same RN2. SIGTERM: a clean exit; and the operator's group table and info commands.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "crypto/hex.h"
#include "crypto/random.h"
#include "gms_client/client.h"
#include "member_keys.h"
#include "net/endpoint.h"
#include "proc/child_process.h"
#include "stores.h"

namespace twofold::gms::testing {
namespace {

using namespace std::chrono_literals;
using twofold::proc::ChildProcess;
using twofold::proc::word_after;

struct RunningGms {
    std::unique_ptr<ChildProcess> process;
    net::Endpoint endpoint;
    std::string fingerprint;
    std::string signing_key;
};

// Each case once per store (stores.h): `store_` is "" (SQLite in the data directory) or a fresh
// PostgreSQL database's URL, passed as --store.
class GmsBinary : public ::testing::TestWithParam<StoreKind> {
  protected:
    void SetUp() override { store_ = new_store(GetParam()); }
    // " --store URL" for the operator's commands, or nothing.
    std::string store_flag() const { return store_.empty() ? "" : " --store '" + store_ + "'"; }
    std::string store_;
};
class GmsCrash : public GmsBinary {};
class GmsProcess : public GmsBinary {};
TWOFOLD_ON_EVERY_STORE(GmsCrash);
TWOFOLD_ON_EVERY_STORE(GmsProcess);

RunningGms start_gms(const std::filesystem::path& dir, std::uint16_t port, const std::string& store) {
    RunningGms g;
    std::vector<std::string> argv = {TWOFOLD_GMS_BINARY, "--data", dir.string(), "--listen",
                                     "127.0.0.1:" + std::to_string(port), "--password-hashing", "minimum",
                                     "--log-level", "warn"};
    if (!store.empty()) {
        argv.push_back("--store");
        argv.push_back(store);
    }
    g.process = std::make_unique<ChildProcess>(argv);
    const std::string line = g.process->first_line();
    auto ep = net::parse_endpoint(word_after(line, "on"), "listen line");
    if (ep) g.endpoint = *ep;
    g.fingerprint = word_after(line, "tls-fingerprint");
    g.signing_key = line.substr(line.rfind(' ') + 1);
    return g;
}

TEST_P(GmsCrash, KillNineDuringABurstLosesNothingAcknowledged) {
    const auto dir = std::filesystem::temp_directory_path() / ("twofold-gms-crash-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    RunningGms gms = start_gms(dir, 0, store_);
    ASSERT_FALSE(gms.fingerprint.empty()) << "twofold-gms did not start";

    // An owner and a pool of accounts to add and remove.
    auto owner_key = crypto::SigningKey::generate();
    auto owner = GmsClient::connect(gms.endpoint, gms.fingerprint);
    ASSERT_TRUE(owner.ok());
    ASSERT_TRUE((*owner)->register_account("owner", "owner-password", owner_key.public_key()).ok());
    ASSERT_TRUE((*owner)->login("owner", "owner-password").ok());
    const auto gid_bytes = crypto::random_array<16>();
    const Bytes gid(gid_bytes.begin(), gid_bytes.end());
    ASSERT_TRUE((*owner)->create_group(gid, {}).ok());
    std::vector<crypto::SigningKey> keys;
    constexpr int kAccounts = 40;
    for (int i = 0; i < kAccounts; ++i) {
        keys.push_back(crypto::SigningKey::generate());
        ASSERT_TRUE((*owner)->register_account("m" + std::to_string(i), "member-password", keys.back().public_key()).ok());
    }

    // The burst runs in another thread; it records what the GMS acknowledged.
    std::set<std::string> acknowledged_members = {"owner"};
    std::uint64_t last_epoch = 0;
    std::thread burst([&] {
        for (int round = 0; round < 1000; ++round) {
            const std::string name = "m" + std::to_string(round % kAccounts);
            const bool member = acknowledged_members.contains(name);
            auto r = member ? (*owner)->remove_member(gid, name) : (*owner)->add_member(gid, name, false, false);
            if (!r.ok()) return;  // the GMS died: everything before this was acknowledged
            if (member) {
                acknowledged_members.erase(name);
            } else {
                acknowledged_members.insert(name);
            }
            last_epoch = *r;
        }
    });
    std::this_thread::sleep_for(300ms);
    gms.process->kill(SIGKILL);
    burst.join();
    ASSERT_GT(last_epoch, 1u) << "the burst made no change before the kill";

    RunningGms again = start_gms(dir, 0, store_);
    ASSERT_EQ(again.fingerprint, gms.fingerprint);
    auto after = GmsClient::connect(again.endpoint, again.fingerprint);
    ASSERT_TRUE(after.ok());
    auto login = (*after)->login("owner", "owner-password");
    ASSERT_TRUE(login.ok()) << login.error().message;
    ASSERT_EQ(login->groups_size(), 1);
    // At most one change was committed but not acknowledged (in flight at the kill).
    const std::uint64_t epoch = login->groups(0).membership_epoch();
    EXPECT_GE(epoch, last_epoch);
    EXPECT_LE(epoch, last_epoch + 1);
    auto list = (*after)->list_members(gid);
    ASSERT_TRUE(list.ok());
    std::set<std::string> stored;
    for (const auto& s : *list) stored.insert(s.account());
    if (epoch == last_epoch) {
        EXPECT_EQ(stored, acknowledged_members);
    } else {
        std::set<std::string> diff;
        std::set_symmetric_difference(stored.begin(), stored.end(), acknowledged_members.begin(),
                                      acknowledged_members.end(), std::inserter(diff, diff.end()));
        EXPECT_EQ(diff.size(), 1u);
    }

    // Every member reconnects and converges on the owner's RN2.
    auto owner_state = open_welcome(*(*after)->inquire(gid, 0), owner_key);
    ASSERT_TRUE(owner_state.ok()) << owner_state.error().message;
    for (const std::string& name : stored) {
        if (name == "owner") continue;
        const int i = std::stoi(name.substr(1));
        auto c = GmsClient::connect(again.endpoint, again.fingerprint);
        ASSERT_TRUE(c.ok());
        ASSERT_TRUE((*c)->login(name, "member-password").ok());
        auto welcome = (*c)->inquire(gid, 0);
        ASSERT_TRUE(welcome.ok()) << welcome.error().message;
        auto state = open_welcome(*welcome, keys[static_cast<std::size_t>(i)]);
        ASSERT_TRUE(state.ok()) << state.error().message;
        EXPECT_TRUE(same_rn2(*state, *owner_state)) << name;
    }
    again.process->kill(SIGTERM);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace twofold::gms::testing

namespace twofold::gms::testing {
namespace {

std::string run_command(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    ::pclose(p);
    return out;
}

TEST_P(GmsProcess, SigtermExitsCleanlyAndTheOperatorSeesTheGroupTable) {
    const auto dir = std::filesystem::temp_directory_path() / ("twofold-gms-term-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    RunningGms gms = start_gms(dir, 0, store_);
    ASSERT_FALSE(gms.fingerprint.empty());

    auto alice_key = crypto::SigningKey::generate();
    auto alice = GmsClient::connect(gms.endpoint, gms.fingerprint);
    ASSERT_TRUE(alice.ok());
    ASSERT_TRUE((*alice)->register_account("alice", "alice-password", alice_key.public_key()).ok());
    ASSERT_TRUE((*alice)->register_account("bob", "bob-password", crypto::SigningKey::generate().public_key()).ok());
    ASSERT_TRUE((*alice)->login("alice", "alice-password").ok());
    const auto gid_bytes = crypto::random_array<16>();
    const Bytes gid(gid_bytes.begin(), gid_bytes.end());
    ASSERT_TRUE((*alice)->create_group(gid, {}).ok());
    ASSERT_TRUE((*alice)->add_member(gid, "bob", true, false).ok());
    ASSERT_TRUE((*alice)->acknowledge(gid, 2).ok());

    // While alice is connected she shows as online.
    const std::string binary = TWOFOLD_GMS_BINARY;
    const std::string online = run_command(binary + " groups --data " + dir.string() + store_flag() + " --json");
    EXPECT_NE(online.find("\"member\":\"alice\",\"online\":true,\"acknowledged_epoch\":2"), std::string::npos)
        << online;

    const int status = gms.process->kill(SIGTERM);
    ASSERT_TRUE(WIFEXITED(status)) << "twofold-gms did not exit on SIGTERM";
    EXPECT_EQ(WEXITSTATUS(status), 0);

    const std::string table = run_command(binary + " groups --data " + dir.string() + store_flag() + " --json");
    EXPECT_NE(table.find("\"group\":\"" + crypto::to_hex(gid) + "\""), std::string::npos) << table;
    EXPECT_NE(table.find("\"member\":\"bob\",\"online\":false,\"acknowledged_epoch\":0,\"rn2_epoch\":2,"
                         "\"may_invite\":true,\"may_remove\":false"),
              std::string::npos)
        << table;
    EXPECT_NE(table.find("\"member\":\"alice\",\"online\":false"), std::string::npos) << table;
    const std::string text = run_command(binary + " groups --data " + dir.string() + store_flag());
    EXPECT_NE(text.find("bob"), std::string::npos);

    const std::string info = run_command(binary + " info --data " + dir.string() + " --json");
    EXPECT_EQ(info, "{\"tls_fingerprint\":\"" + gms.fingerprint + "\",\"signing_key\":\"" + gms.signing_key + "\"}\n");
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace twofold::gms::testing
