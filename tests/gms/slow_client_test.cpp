// The real twofold-gms with short deadlines given as options: a connection that never logs in
// is closed within the bound while a logged-in member is kept, one address gets no more than its
// share of connections, and a client breaking the protocol is logged once, without its bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "crypto/sign.h"
#include "gms_client/client.h"
#include "net/endpoint.h"
#include "net/tls_client.h"
#include "proc/child_process.h"

namespace twofold::gms::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using twofold::proc::ChildProcess;
using twofold::proc::word_after;

class GmsSlowClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("twofold-gms-slow-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
    }
    void TearDown() override {
        process_.reset();  // SIGKILL and reap
        std::filesystem::remove_all(dir_);
    }

    void start(std::vector<std::string> extra, const std::string& password_hashing = "minimum") {
        std::vector<std::string> args = {TWOFOLD_GMS_BINARY, "--data", dir_.string(), "--listen", "127.0.0.1:0"};
        args.insert(args.end(), {"--password-hashing", password_hashing, "--log-level", "info"});
        args.insert(args.end(), extra.begin(), extra.end());
        process_ = std::make_unique<ChildProcess>(args);
        const std::string line = process_->first_line(30s);  // a sanitizer build starts slowly
        auto ep = net::parse_endpoint(word_after(line, "on"), "listen line");
        ASSERT_TRUE(ep.ok()) << "twofold-gms did not start: '" << line << "'";
        endpoint_ = *ep;
        fingerprint_ = word_after(line, "tls-fingerprint");
    }

    std::unique_ptr<GmsClient> logged_in(const std::string& account) {
        auto c = GmsClient::connect(endpoint_, fingerprint_);
        EXPECT_TRUE(c.ok()) << c.error().message;
        if (!c.ok()) return nullptr;
        const auto key = crypto::SigningKey::generate();
        EXPECT_TRUE((*c)->register_account(account, "a-long-password", key.public_key()).ok());
        EXPECT_TRUE((*c)->login(account, "a-long-password").ok());
        return std::move(*c);
    }

    // The log after a clean stop, so that everything is on disk.
    std::string stop_and_read_log() {
        EXPECT_GE(process_->terminate(20s), 0);
        process_.reset();
        std::ifstream in(dir_ / "gms.log");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    static std::size_t count(const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
        return n;
    }

    std::filesystem::path dir_;
    std::unique_ptr<ChildProcess> process_;
    net::Endpoint endpoint_;
    std::string fingerprint_;
};

TEST_F(GmsSlowClientTest, AConnectionThatNeverLogsInIsClosedWhileAMemberIsKept) {
    start({"--auth-timeout", "0.5"});
    auto member = logged_in("alice");
    ASSERT_TRUE(member);
    const auto connected = Clock::now();
    auto silent = net::TlsClient::connect(endpoint_, fingerprint_);
    ASSERT_TRUE(silent.ok()) << silent.error().message;

    auto r = (*silent)->receive(20s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::unavailable) << r.error().message;
    const auto closed_after = Clock::now() - connected;
    EXPECT_GE(closed_after, 500ms);
    EXPECT_LT(closed_after, 10s);

    // Well past its own deadline, the logged-in member is still served.
    std::this_thread::sleep_until(connected + 1500ms);
    EXPECT_TRUE(member->lookup("alice").ok());
}

// Registrations queue for the one Argon2id worker; the wait is the server's, so members whose
// hash comes late are not cut by a deadline shorter than the queue.
TEST_F(GmsSlowClientTest, RegistrationsQueuedForTheHashWorkerAreNotCutByTheAuthDeadline) {
    constexpr int kClients = 8;
    start({"--auth-timeout", "0.3"}, "interactive");
    std::vector<std::unique_ptr<GmsClient>> clients;
    for (int i = 0; i < kClients; ++i) {
        auto c = GmsClient::connect(endpoint_, fingerprint_);
        ASSERT_TRUE(c.ok()) << c.error().message;
        clients.push_back(std::move(*c));
    }
    const auto started = Clock::now();
    std::vector<Status> results(kClients);
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] {
            const auto key = crypto::SigningKey::generate();
            results[i] = clients[i]->register_account("m" + std::to_string(i), "a-long-password", key.public_key());
        });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < kClients; ++i) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].error().message;
    // The queue outlasted the deadline, or this test shows nothing.
    EXPECT_GT(Clock::now() - started, 300ms);
}

TEST_F(GmsSlowClientTest, OneAddressGetsNoMoreThanItsShareOfConnections) {
    start({"--max-connections-per-address", "3"});
    auto member = logged_in("alice");
    ASSERT_TRUE(member);
    auto second = net::TlsClient::connect(endpoint_, fingerprint_);
    auto third = net::TlsClient::connect(endpoint_, fingerprint_);
    ASSERT_TRUE(second.ok() && third.ok());

    auto fourth = net::TlsClient::connect(endpoint_, fingerprint_);
    EXPECT_FALSE(fourth.ok());
    auto fifth = net::TlsClient::connect(endpoint_, fingerprint_);
    EXPECT_FALSE(fifth.ok());
    EXPECT_TRUE(member->lookup("alice").ok());

    const std::string log = stop_and_read_log();
    // Two refusals within the throttle's interval: one line.
    EXPECT_EQ(count(log, "refused a connection from 127.0.0.1: 3 connections open from 127.0.0.1"), 1u) << log;
}

TEST_F(GmsSlowClientTest, AProtocolViolationIsLoggedOnceWithoutItsBytes) {
    start({});
    auto client = net::TlsClient::connect(endpoint_, fingerprint_);
    ASSERT_TRUE(client.ok()) << client.error().message;
    // An eleven-byte varint is no protobuf tag: every one of these fails to parse.
    const std::string marker = "MARKER-OF-THE-PAYLOAD";
    Bytes garbage(10, 0xFF);
    garbage.push_back(0x01);
    garbage.insert(garbage.end(), marker.begin(), marker.end());
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE((*client)->send(garbage).ok());
        auto answer = (*client)->receive(10s);  // MALFORMED, and the connection stays
        ASSERT_TRUE(answer.ok()) << answer.error().message;
    }
    auto member = logged_in("alice");  // and the GMS serves everyone else
    ASSERT_TRUE(member);

    const std::string log = stop_and_read_log();
    EXPECT_EQ(count(log, "broke the protocol"), 1u) << log;
    EXPECT_EQ(count(log, "[info] connection "), 1u) << log;
    EXPECT_EQ(log.find(marker), std::string::npos) << log;
}

}  // namespace
}  // namespace twofold::gms::testing
