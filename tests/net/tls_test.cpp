// The TLS transport on loopback: pinning, framing limits, timeouts, connection caps, shutdown.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/tls_client.h"
#include "net/tls_server.h"

namespace twofold::net {
namespace {

using namespace std::chrono_literals;

std::filesystem::path fresh_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("twofold-net-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

// Echoes every frame; answers a framing error with "error:" + message.
class EchoSession : public Session {
  public:
    explicit EchoSession(Connection& c) : conn_(c) {}
    void on_frame(ByteView payload) override {
        if (as_string(payload) == "close") {
            conn_.close();
            return;
        }
        (void)conn_.send(payload);
    }
    void on_frame_error(const Error& e) override { (void)conn_.send(as_bytes("error:" + e.message)); }
    void on_close(const std::string&) override {}

  private:
    static std::string as_string(ByteView b) { return {b.begin(), b.end()}; }
    Connection& conn_;
};

class TlsTest : public ::testing::Test {
  protected:
    void start(ServerOptions extra = {}) {
        dir_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
        auto id = load_or_create_tls_identity(dir_, "twofold-test");
        ASSERT_TRUE(id.ok()) << id.error().message;
        extra.identity = *id;
        extra.listen = Endpoint{"127.0.0.1", 0};
        server_ = std::make_unique<TlsServer>(extra, [](Connection& c) { return std::make_unique<EchoSession>(c); });
        ASSERT_TRUE(server_->bind().ok());
        endpoint_ = Endpoint{"127.0.0.1", server_->bound_port()};
        fingerprint_ = id->fingerprint;
        thread_ = std::thread([this] { (void)server_->run(); });
    }
    void TearDown() override {
        if (server_) {
            server_->stop();
            thread_.join();
        }
        std::filesystem::remove_all(dir_);
    }

    std::filesystem::path dir_;
    std::unique_ptr<TlsServer> server_;
    std::thread thread_;
    Endpoint endpoint_;
    std::string fingerprint_;
};

TEST_F(TlsTest, EchoesFramesOverPinnedTls) {
    start();
    auto client = TlsClient::connect(endpoint_, fingerprint_);
    ASSERT_TRUE(client.ok()) << client.error().message;
    for (std::size_t n : {0u, 1u, 1000u, 200000u}) {
        const Bytes payload(n, static_cast<std::uint8_t>(n));
        ASSERT_TRUE((*client)->send(payload).ok());
        auto back = (*client)->receive(5s);
        ASSERT_TRUE(back.ok()) << back.error().message;
        EXPECT_EQ(*back, payload);
    }
}

TEST_F(TlsTest, WrongFingerprintIsRefused) {
    start();
    const std::string wrong = "sha256:" + std::string(64, 'a');
    auto client = TlsClient::connect(endpoint_, wrong);
    ASSERT_FALSE(client.ok());
    EXPECT_EQ(client.error().code, Errc::auth_failed);
    EXPECT_NE(client.error().message.find("fingerprint"), std::string::npos);
}

TEST_F(TlsTest, MalformedFingerprintIsAnArgumentError) {
    start();
    auto client = TlsClient::connect(endpoint_, "sha256:xyz");
    ASSERT_FALSE(client.ok());
    EXPECT_EQ(client.error().code, Errc::invalid_argument);
}

TEST_F(TlsTest, FingerprintMatchesOpenSsl) {
    start();
    const std::string cmd = "openssl x509 -noout -fingerprint -sha256 -in " + (dir_ / "tls-cert.pem").string();
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::array<char, 256> line{};
    ASSERT_NE(std::fgets(line.data(), line.size(), p), nullptr);
    ::pclose(p);
    std::string text(line.data());
    text = text.substr(text.find('=') + 1);
    auto ours = normalise_fingerprint(text.substr(0, text.find('\n')), "openssl");
    ASSERT_TRUE(ours.ok());
    EXPECT_EQ(*ours, fingerprint_);
}

TEST_F(TlsTest, IdentityIsStableAcrossRestarts) {
    start();
    auto again = load_or_create_tls_identity(dir_, "twofold-test");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->fingerprint, fingerprint_);
    EXPECT_EQ(std::filesystem::status(dir_ / "tls-key.pem").permissions() & std::filesystem::perms::others_read,
              std::filesystem::perms::none);
}

TEST_F(TlsTest, OversizedFrameGetsAnErrorAndTheServerKeepsServing) {
    ServerOptions o;
    o.max_frame_bytes = 1024;
    start(o);
    auto bad = TlsClient::connect(endpoint_, fingerprint_);
    ASSERT_TRUE(bad.ok());
    const Bytes header = {0x00, 0x10, 0x00, 0x00};
    ASSERT_TRUE((*bad)->send_raw(header).ok());
    auto answer = (*bad)->receive(5s);
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    EXPECT_NE(std::string(answer->begin(), answer->end()).find("exceeds the maximum"), std::string::npos);
    EXPECT_FALSE((*bad)->receive(5s).ok());  // then closed

    auto good = TlsClient::connect(endpoint_, fingerprint_);
    ASSERT_TRUE(good.ok());
    ASSERT_TRUE((*good)->send(as_bytes("still here")).ok());
    EXPECT_TRUE((*good)->receive(5s).ok());
}

TEST_F(TlsTest, SilentClientTimesOut) {
    ServerOptions o;
    o.idle_timeout = 200ms;
    start(o);
    auto client = TlsClient::connect(endpoint_, fingerprint_);
    ASSERT_TRUE(client.ok());
    auto r = (*client)->receive(5s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::unavailable);
}

TEST_F(TlsTest, ConnectionsAboveTheCapAreRefused) {
    ServerOptions o;
    o.max_connections = 2;
    start(o);
    auto a = TlsClient::connect(endpoint_, fingerprint_);
    auto b = TlsClient::connect(endpoint_, fingerprint_);
    ASSERT_TRUE(a.ok() && b.ok());
    // Make sure both are registered before the third arrives.
    ASSERT_TRUE((*a)->send(as_bytes("x")).ok() && (*a)->receive(5s).ok());
    ASSERT_TRUE((*b)->send(as_bytes("x")).ok() && (*b)->receive(5s).ok());
    auto c = TlsClient::connect(endpoint_, fingerprint_);
    EXPECT_FALSE(c.ok());
}

TEST_F(TlsTest, ServerCloseFlushesQueuedFrames) {
    start();
    auto client = TlsClient::connect(endpoint_, fingerprint_);
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE((*client)->send(as_bytes("one")).ok());
    ASSERT_TRUE((*client)->send(as_bytes("close")).ok());
    auto first = (*client)->receive(5s);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(std::string(first->begin(), first->end()), "one");
    EXPECT_EQ((*client)->receive(5s).error().code, Errc::unavailable);
}

TEST_F(TlsTest, GarbageInsteadOfTlsDoesNotHurtOthers) {
    start();
    // A plain TCP client speaking nonsense instead of a TLS ClientHello.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(endpoint_.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    const std::string junk = "GET / HTTP/1.0\r\n\r\n";
    ASSERT_EQ(::write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
    char sink[256];
    while (::read(fd, sink, sizeof sink) > 0) {
    }  // the server drops us
    ::close(fd);
    auto client = TlsClient::connect(endpoint_, fingerprint_);
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE((*client)->send(as_bytes("hello")).ok());
    EXPECT_TRUE((*client)->receive(5s).ok());
}

}  // namespace
}  // namespace twofold::net

namespace twofold::net {
namespace {

std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    std::array<char, 512> buf{};
    while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
    ::pclose(p);
    return out;
}

TEST_F(TlsTest, OnlyTls13IsSpoken) {
    start();
    const std::string target = " -connect 127.0.0.1:" + std::to_string(endpoint_.port) + " </dev/null 2>&1";
    const std::string v13 = run("timeout 10 openssl s_client -tls1_3" + target);
    EXPECT_NE(v13.find("TLSv1.3"), std::string::npos) << v13;
    const std::string v12 = run("timeout 10 openssl s_client -tls1_2" + target);
    EXPECT_EQ(v12.find("Cipher is ECDHE"), std::string::npos) << v12;
    EXPECT_NE(v12.find("alert"), std::string::npos) << v12;
}

}  // namespace
}  // namespace twofold::net

#include "net/client_pool.h"

namespace twofold::net {
namespace {

TEST_F(TlsTest, ClientPoolDrivesManyConnectionsOnOneThread) {
    start();
    std::vector<int> echoes(25, 0);
    ClientPool pool(endpoint_, fingerprint_, [&](std::size_t i, ByteView payload) {
        if (payload.size() == 1 && payload[0] == static_cast<std::uint8_t>(i)) ++echoes[i];
    });
    auto first = pool.connect(echoes.size(), 10s);
    ASSERT_TRUE(first.ok()) << first.error().message;
    for (std::size_t i = 0; i < echoes.size(); ++i) {
        for (int k = 0; k < 3; ++k) pool.send(i, Bytes{static_cast<std::uint8_t>(i)});
    }
    const auto all_echoed = [&] { return std::all_of(echoes.begin(), echoes.end(), [](int n) { return n == 3; }); };
    ASSERT_TRUE(pool.run_until(all_echoed, 10s).ok());
}

// Frames queued together leave together (one write on each side) and arrive whole and in order:
// 300 frames of growing size queued on one connection at once, echoed back.
TEST_F(TlsTest, FramesQueuedTogetherArriveWholeAndInOrder) {
    start();
    std::vector<Bytes> received;
    ClientPool pool(endpoint_, fingerprint_,
                    [&](std::size_t, ByteView payload) { received.emplace_back(payload.begin(), payload.end()); });
    ASSERT_TRUE(pool.connect(1, 10s).ok());
    std::vector<Bytes> sent;
    for (std::size_t k = 0; k < 300; ++k) {
        Bytes frame(k * 97 % 5000 + 1, static_cast<std::uint8_t>(k));
        frame[0] = static_cast<std::uint8_t>(k >> 8);
        sent.push_back(frame);
        pool.send(0, frame);
    }
    ASSERT_TRUE(pool.run_until([&] { return received.size() == sent.size(); }, 10s).ok());
    EXPECT_EQ(received, sent);
}

// A server that goes away ends the run at once, naming the connection, instead of leaving the
// load generator to wait out its timeout.
TEST_F(TlsTest, ClientPoolRunEndsWhenTheServerGoesAway) {
    start();
    ClientPool pool(endpoint_, fingerprint_, [](std::size_t, ByteView) {});
    ASSERT_TRUE(pool.connect(3, 10s).ok());
    server_->stop();
    thread_.join();
    server_.reset();
    const auto start_time = std::chrono::steady_clock::now();
    const Status s = pool.run_until([] { return false; }, 60s);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::unavailable) << s.error().message;
    EXPECT_NE(s.error().message.find("connection "), std::string::npos) << s.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start_time, 30s);
}

TEST_F(TlsTest, ClientPoolRefusesAnUnpinnedServer) {
    start();
    ClientPool pool(endpoint_, "sha256:" + std::string(64, '0'), [](std::size_t, ByteView) {});
    EXPECT_FALSE(pool.connect(2, 5s).ok());
}

}  // namespace
}  // namespace twofold::net
