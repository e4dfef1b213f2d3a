// The direct channel's framing over a socketpair (the stand-in for the ICE stream): whole frames
// come out whatever the reads split them into; an unknown kind, an oversized length and silence
// are refused with their reason; and a whole Noise channel runs over it, one side per thread.
#include "member_client/direct_stream.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "handshake/direct_route_keys.h"
#include "member/direct_channel.h"
#include "member_client/direct_session.h"

namespace twofold::member_client {
namespace {

// One end of a socketpair; `chunk` caps each write, so frames arrive in pieces.
class SocketStream final : public DirectStream {
  public:
    SocketStream(int fd, std::size_t chunk = 1 << 16) : fd_(fd), chunk_(chunk) {}
    ~SocketStream() override { ::close(fd_); }
    Status send(ByteView bytes, std::chrono::milliseconds) override {
        for (std::size_t off = 0; off < bytes.size();) {
            const ssize_t n = ::write(fd_, bytes.data() + off, std::min(chunk_, bytes.size() - off));
            if (n <= 0) return make_error(Errc::unavailable, "write failed");
            off += static_cast<std::size_t>(n);
        }
        return {};
    }
    Result<Bytes> receive(std::size_t max, std::chrono::milliseconds timeout) override {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return make_error(Errc::timeout, "nothing");
        Bytes out(std::min<std::size_t>(max, 7));  // small reads on purpose
        const ssize_t n = ::read(fd_, out.data(), out.size());
        if (n <= 0) return make_error(Errc::unavailable, "closed");
        out.resize(static_cast<std::size_t>(n));
        return out;
    }

  private:
    int fd_;
    std::size_t chunk_;
};

struct Pair {
    std::unique_ptr<SocketStream> a, b;
    Pair() {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
        a = std::make_unique<SocketStream>(fds[0], 3);
        b = std::make_unique<SocketStream>(fds[1], 3);
    }
};

constexpr std::chrono::milliseconds kWait{2000};

TEST(DirectStreamTest, WholeFramesComeOutOfSplitReads) {
    Pair p;
    FramedStream out(*p.a), in(*p.b);
    ASSERT_TRUE(out.send(DirectFrameKind::noise, Bytes(300, 0xab), kWait));
    ASSERT_TRUE(out.send(DirectFrameKind::ended, as_bytes(std::string_view("bye")), kWait));
    auto f1 = in.receive(kWait);
    ASSERT_TRUE(f1) << f1.error().message;
    EXPECT_EQ(f1->kind, DirectFrameKind::noise);
    EXPECT_EQ(f1->body, Bytes(300, 0xab));
    auto f2 = in.receive(kWait);
    ASSERT_TRUE(f2);
    EXPECT_EQ(f2->kind, DirectFrameKind::ended);
    EXPECT_EQ(std::string(f2->body.begin(), f2->body.end()), "bye");
}

TEST(DirectStreamTest, BadFramesAndSilenceAreRefused) {
    {
        Pair p;
        FramedStream in(*p.b);
        ASSERT_TRUE(p.a->send(Bytes{9, 0, 0, 0, 1, 0}, kWait));
        auto f = in.receive(kWait);
        ASSERT_FALSE(f);
        EXPECT_NE(f.error().message.find("unknown kind 9"), std::string::npos);
    }
    {
        Pair p;
        FramedStream in(*p.b);
        ASSERT_TRUE(p.a->send(Bytes{1, 0x7f, 0xff, 0xff, 0xff}, kWait));
        auto f = in.receive(kWait);
        ASSERT_FALSE(f);
        EXPECT_EQ(f.error().code, Errc::too_large);
    }
    {
        Pair p;
        FramedStream in(*p.b);
        auto f = in.receive(std::chrono::milliseconds(50));
        ASSERT_FALSE(f);
        EXPECT_EQ(f.error().code, Errc::timeout);
    }
}

// Both ends of a channel, each on its own thread, over the socketpair.
TEST(DirectStreamTest, ChannelRunsOverTheStream) {
    const auto alice = crypto::SigningKey::generate();
    const auto bob = crypto::SigningKey::generate();
    auto code = handshake::InviteCode::parse("7-tulip-harbor").value();
    const Bytes sid(17, 0x01);
    auto in = handshake::direct_route_cpace_inputs(code, sid, alice.public_key(), bob.public_key()).value();
    handshake::CpaceParty ca(handshake::CpaceParty::Role::initiator, in.prs, in.ci, in.sid, {},
                             handshake::CpaceTranscript::initiator_responder);
    handshake::CpaceParty cb(handshake::CpaceParty::Role::responder, in.prs, in.ci, in.sid, {},
                             handshake::CpaceTranscript::initiator_responder);
    const auto ya = ca.message().value();
    const auto yb = cb.message().value();
    const Bytes prologue(8, 0x02);
    auto inviter = member::DirectChannel::create(member::DirectChannel::Side::inviter, alice, bob.public_key(),
                                                 ca.finish(yb, {}).value(), prologue)
                       .value();
    auto invitee = member::DirectChannel::create(member::DirectChannel::Side::invitee, bob, alice.public_key(),
                                                 cb.finish(ya, {}).value(), prologue)
                       .value();
    Pair p;
    FramedStream fa(*p.a), fb(*p.b);
    Status inviter_status;
    std::thread t([&] {
        inviter_status = run_handshake(inviter, fa, false);
        v1::DirectChannelMessage m;
        m.mutable_invitation()->set_inviter_account("alice");
        if (inviter_status) inviter_status = send_message(inviter, fa, m);
    });
    ASSERT_TRUE(run_handshake(invitee, fb, true));
    auto got = receive_message(invitee, fb);
    t.join();
    ASSERT_TRUE(inviter_status) << inviter_status.error().message;
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->invitation().inviter_account(), "alice");
}

}  // namespace
}  // namespace twofold::member_client
