// Slow and idle peers on loopback, with short deadlines: a peer trickling a frame is cut within
// the frame deadline, one that never authenticates within the authentication deadline, and one
// host gets no more than its share of connections; well-behaved clients are served throughout.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include <unistd.h>

#include "net/tls_client.h"
#include "net/tls_server.h"

namespace twofold::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Echoes every frame. "auth" authenticates the connection, "hold"/"release" hold its
// authentication deadline (as the GMS does while a password is checked). A framing error is
// answered with "error:" + message.
class EchoSession : public Session {
  public:
    explicit EchoSession(Connection& c) : conn_(c) {}
    void on_frame(ByteView payload) override {
        const std::string text(payload.begin(), payload.end());
        if (text == "auth") conn_.set_authenticated();
        if (text == "hold") conn_.hold_auth_deadline();
        if (text == "release") conn_.release_auth_deadline();
        (void)conn_.send(payload);
    }
    void on_frame_error(const Error& e) override { (void)conn_.send(as_bytes("error:" + e.message)); }
    void on_close(const std::string&) override {}

  private:
    Connection& conn_;
};

class SlowClientTest : public ::testing::Test {
  protected:
    void start(ServerOptions options) {
        dir_ = std::filesystem::temp_directory_path() /
               ("twofold-net-slow-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        auto id = load_or_create_tls_identity(dir_, "twofold-test");
        ASSERT_TRUE(id.ok()) << id.error().message;
        options.identity = *id;
        options.listen = Endpoint{"127.0.0.1", 0};
        server_ = std::make_unique<TlsServer>(options, [](Connection& c) { return std::make_unique<EchoSession>(c); });
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

    std::unique_ptr<TlsClient> connect() {
        auto c = TlsClient::connect(endpoint_, fingerprint_);
        EXPECT_TRUE(c.ok()) << c.error().message;
        return c.ok() ? std::move(*c) : nullptr;
    }

    // One frame there and back: the connection is open and served.
    static bool echoes(TlsClient& c, const std::string& text) {
        if (!c.send(as_bytes(text)).ok()) return false;
        auto back = c.receive(5s);
        return back.ok() && std::string(back->begin(), back->end()) == text;
    }

    std::filesystem::path dir_;
    std::unique_ptr<TlsServer> server_;
    std::thread thread_;
    Endpoint endpoint_;
    std::string fingerprint_;
};

TEST_F(SlowClientTest, APeerTricklingAFrameIsCutWithinTheFrameDeadline) {
    ServerOptions o;
    o.frame_timeout = 300ms;  // the idle timeout stays at its default of two minutes
    start(o);
    auto good = connect();
    auto slow = connect();
    ASSERT_TRUE(good && slow);
    ASSERT_TRUE(echoes(*good, "auth") && echoes(*slow, "auth"));

    // A header announcing 1000 bytes, then one byte every 50 ms: never silent, never done.
    ASSERT_TRUE(slow->send_raw(Bytes{0x00, 0x00, 0x03, 0xE8}).ok());
    const auto first_byte = Clock::now();
    std::string answer;
    while (Clock::now() - first_byte < 10s) {
        if (!slow->send_raw(Bytes{0x41}).ok()) break;
        auto r = slow->receive(50ms);
        if (r.ok()) {
            answer.assign(r->begin(), r->end());
            break;
        }
        if (r.error().code != Errc::timeout) break;
        ASSERT_TRUE(echoes(*good, "still served"));
    }
    const auto cut_after = Clock::now() - first_byte;
    EXPECT_NE(answer.find("error:timed out: a frame was not complete 300 ms after its first byte"), std::string::npos)
        << "answer: '" << answer << "'";
    EXPECT_GE(cut_after, 300ms);
    EXPECT_LT(cut_after, 5s);
    auto end = slow->receive(5s);  // then the connection closes
    ASSERT_FALSE(end.ok());
    EXPECT_EQ(end.error().code, Errc::unavailable);
    EXPECT_TRUE(echoes(*good, "after"));
}

TEST_F(SlowClientTest, AConnectionThatDoesNotAuthenticateIsClosedAtTheAuthDeadline) {
    ServerOptions o;
    o.auth_timeout = 300ms;
    start(o);
    const auto connected = Clock::now();
    auto silent = connect();
    auto chatty = connect();  // busy, but never authenticates
    auto member = connect();
    ASSERT_TRUE(silent && chatty && member);
    ASSERT_TRUE(echoes(*member, "auth"));

    bool chatty_cut = false;
    while (Clock::now() - connected < 10s && !chatty_cut) {
        chatty_cut = !echoes(*chatty, "not a login");
        if (!chatty_cut) std::this_thread::sleep_for(50ms);
    }
    const auto chatty_after = Clock::now() - connected;
    EXPECT_TRUE(chatty_cut);
    EXPECT_GE(chatty_after, 300ms);
    EXPECT_LT(chatty_after, 5s);

    auto r = silent->receive(5s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::unavailable);
    EXPECT_LT(Clock::now() - connected, 5s);

    // Past the deadline three times over, the authenticated one is still served.
    std::this_thread::sleep_until(connected + 900ms);
    EXPECT_TRUE(echoes(*member, "still here"));
}

TEST_F(SlowClientTest, TimeTheServerHoldsTheDeadlineDoesNotCountAgainstThePeer) {
    ServerOptions o;
    o.auth_timeout = 300ms;
    start(o);
    auto client = connect();
    ASSERT_TRUE(client);
    ASSERT_TRUE(echoes(*client, "hold"));
    std::this_thread::sleep_for(900ms);
    ASSERT_TRUE(echoes(*client, "release"));  // served past its deadline while held
    const auto released = Clock::now();
    auto r = client->receive(5s);  // the rest of its deadline runs out, and it is closed
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::unavailable);
    EXPECT_LT(Clock::now() - released, 5s);
}

TEST_F(SlowClientTest, OneAddressGetsNoMoreThanItsShareOfConnections) {
    ServerOptions o;
    o.max_connections_per_address = 2;
    start(o);
    auto a = connect();
    auto b = connect();
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(echoes(*a, "auth") && echoes(*b, "auth"));  // both counted before the third comes

    auto refused = TlsClient::connect(endpoint_, fingerprint_);
    EXPECT_FALSE(refused.ok());  // closed at accept, before a TLS handshake
    EXPECT_TRUE(echoes(*a, "a is served"));
    EXPECT_TRUE(echoes(*b, "b is served"));

    // A slot freed is a slot to take again (released as soon as the server sees b go).
    b->close();
    b.reset();
    std::unique_ptr<TlsClient> again;
    for (const auto give_up = Clock::now() + 5s; !again && Clock::now() < give_up;) {
        if (auto c = TlsClient::connect(endpoint_, fingerprint_); c.ok()) {
            again = std::move(*c);
        } else {
            std::this_thread::sleep_for(20ms);
        }
    }
    ASSERT_TRUE(again) << "the slot b left was not given back";
    EXPECT_TRUE(echoes(*again, "again"));
    EXPECT_TRUE(echoes(*a, "a is still served"));
}

}  // namespace
}  // namespace twofold::net
