// When the server gives up on one connection, and why. Four clocks, each closing one way a peer
// can hold a connection without doing its part: the TLS handshake, a frame begun but not
// finished (a peer trickling one byte a second), an authentication the service has not confirmed,
// and silence. Pure: the caller passes the time in and arms one timer at next().
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace twofold::net {

struct DeadlineLimits {
    std::chrono::milliseconds handshake{10'000};
    std::chrono::milliseconds idle{120'000};
    std::chrono::milliseconds frame{10'000};
    std::chrono::milliseconds auth{10'000};
    std::chrono::milliseconds flush{2'000};  // to hand over the last frames once closing
};

class ConnectionDeadlines {
  public:
    using Clock = std::chrono::steady_clock;
    enum class Reason { handshake, idle, frame, auth, flush };
    struct Expiry {
        Clock::time_point at;
        Reason reason;
    };

    ConnectionDeadlines(DeadlineLimits limits, Clock::time_point accepted);

    void handshake_done(Clock::time_point now);
    // After each read: `completed` whether a frame ended in it, `partial` whether bytes of an
    // unfinished frame are left. A frame's clock starts with the read that brought its first byte.
    void bytes_read(Clock::time_point now, bool completed, bool partial);
    // The service vouches for the peer: the authentication clock stops for good.
    void authenticated();
    // While the server itself checks the peer's credentials (a queued password hash), that time
    // does not count against the peer. Holds nest.
    void hold_auth(Clock::time_point now);
    void release_auth(Clock::time_point now);
    // Closing: the peer has `flush` to take its last frames; no other clock matters any more.
    void closing(Clock::time_point now);

    // The earliest deadline still running.
    Expiry next() const;
    // What to tell the peer and the log when `reason` ends the connection.
    std::string describe(Reason reason) const;

  private:
    DeadlineLimits limits_;
    Clock::time_point silence_ends_;  // the handshake's deadline, then the idle one
    bool handshaking_ = true;
    std::optional<Clock::time_point> frame_ends_;
    std::optional<Clock::time_point> auth_ends_;  // none once authenticated
    int auth_holds_ = 0;
    Clock::time_point held_since_{};
    std::optional<Clock::time_point> flush_ends_;
};

}  // namespace twofold::net
