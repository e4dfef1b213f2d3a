// The per-connection clocks, with the time passed in: which deadline comes next, and why.
#include <gtest/gtest.h>

#include "net/connection_deadlines.h"

namespace twofold::net {
namespace {

using namespace std::chrono_literals;
using Reason = ConnectionDeadlines::Reason;
const auto t0 = ConnectionDeadlines::Clock::time_point{} + 1000s;

DeadlineLimits limits() {
    return DeadlineLimits{.handshake = 5s, .idle = 100s, .frame = 10s, .auth = 20s, .flush = 2s};
}

TEST(ConnectionDeadlines, TheHandshakeComesFirst) {
    const ConnectionDeadlines d(limits(), t0);
    EXPECT_EQ(d.next().at, t0 + 5s);
    EXPECT_EQ(d.next().reason, Reason::handshake);
}

TEST(ConnectionDeadlines, AnUnauthenticatedConnectionEndsAtTheAuthDeadlineHoweverBusy) {
    ConnectionDeadlines d(limits(), t0);
    d.handshake_done(t0 + 1s);
    d.bytes_read(t0 + 15s, true, false);  // whole frames keep arriving
    EXPECT_EQ(d.next().at, t0 + 20s);     // counted from accept, not from the last byte
    EXPECT_EQ(d.next().reason, Reason::auth);
}

TEST(ConnectionDeadlines, AuthenticatedLeavesOnlyTheIdleClock) {
    ConnectionDeadlines d(limits(), t0);
    d.handshake_done(t0 + 1s);
    d.authenticated();
    EXPECT_EQ(d.next().at, t0 + 101s);
    EXPECT_EQ(d.next().reason, Reason::idle);
}

TEST(ConnectionDeadlines, AFrameMustEndWithinTheFrameTimeoutOfItsFirstByte) {
    ConnectionDeadlines d(limits(), t0);
    d.handshake_done(t0);
    d.authenticated();
    d.bytes_read(t0 + 1s, false, true);  // a frame begins
    d.bytes_read(t0 + 2s, false, true);  // one more byte of it: the clock does not restart
    d.bytes_read(t0 + 3s, false, true);
    EXPECT_EQ(d.next().at, t0 + 11s);
    EXPECT_EQ(d.next().reason, Reason::frame);
    d.bytes_read(t0 + 4s, true, false);  // complete
    EXPECT_EQ(d.next().reason, Reason::idle);
}

TEST(ConnectionDeadlines, ANewFrameBegunInTheReadThatEndedAnotherGetsItsOwnClock) {
    ConnectionDeadlines d(limits(), t0);
    d.handshake_done(t0);
    d.authenticated();
    d.bytes_read(t0 + 1s, false, true);
    d.bytes_read(t0 + 8s, true, true);  // the first ends, the next one begins
    EXPECT_EQ(d.next().at, t0 + 18s);
}

TEST(ConnectionDeadlines, TimeHeldByTheServerDoesNotCountAgainstThePeer) {
    ConnectionDeadlines d(limits(), t0);
    d.handshake_done(t0);
    d.hold_auth(t0 + 2s);
    d.hold_auth(t0 + 3s);  // holds nest
    EXPECT_EQ(d.next().reason, Reason::idle);
    d.release_auth(t0 + 30s);
    EXPECT_EQ(d.next().reason, Reason::idle);  // still held once
    d.release_auth(t0 + 32s);
    EXPECT_EQ(d.next().at, t0 + 50s);  // 20 s plus the 30 s held
    EXPECT_EQ(d.next().reason, Reason::auth);
}

TEST(ConnectionDeadlines, ClosingLeavesOnlyTheFlushClock) {
    ConnectionDeadlines d(limits(), t0);
    d.handshake_done(t0);
    d.bytes_read(t0 + 1s, false, true);
    d.closing(t0 + 3s);
    d.closing(t0 + 4s);  // a second close does not extend it
    EXPECT_EQ(d.next().at, t0 + 5s);
    EXPECT_EQ(d.next().reason, Reason::flush);
}

TEST(ConnectionDeadlines, EachReasonIsNamedWithItsLimit) {
    const ConnectionDeadlines d(limits(), t0);
    EXPECT_NE(d.describe(Reason::frame).find("frame was not complete 10000 ms"), std::string::npos);
    EXPECT_NE(d.describe(Reason::auth).find("not authenticated within 20000 ms"), std::string::npos);
    EXPECT_NE(d.describe(Reason::handshake).find("TLS handshake"), std::string::npos);
}

}  // namespace
}  // namespace twofold::net
