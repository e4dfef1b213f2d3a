#include "net/connection_deadlines.h"

#include <string>

namespace twofold::net {

namespace {

std::string in_ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

}  // namespace

ConnectionDeadlines::ConnectionDeadlines(DeadlineLimits limits, Clock::time_point accepted)
    : limits_(limits), silence_ends_(accepted + limits.handshake), auth_ends_(accepted + limits.auth) {}

void ConnectionDeadlines::handshake_done(Clock::time_point now) {
    handshaking_ = false;
    silence_ends_ = now + limits_.idle;
}

void ConnectionDeadlines::bytes_read(Clock::time_point now, bool completed, bool partial) {
    silence_ends_ = now + limits_.idle;
    if (!partial) {
        frame_ends_.reset();
    } else if (completed || !frame_ends_) {
        frame_ends_ = now + limits_.frame;  // the unfinished frame began in this read
    }
}

void ConnectionDeadlines::authenticated() {
    auth_ends_.reset();
    auth_holds_ = 0;
}

void ConnectionDeadlines::hold_auth(Clock::time_point now) {
    if (!auth_ends_) return;
    if (auth_holds_++ == 0) held_since_ = now;
}

void ConnectionDeadlines::release_auth(Clock::time_point now) {
    if (!auth_ends_ || auth_holds_ == 0) return;
    if (--auth_holds_ == 0) *auth_ends_ += now - held_since_;
}

void ConnectionDeadlines::closing(Clock::time_point now) {
    if (!flush_ends_) flush_ends_ = now + limits_.flush;
}

ConnectionDeadlines::Expiry ConnectionDeadlines::next() const {
    if (flush_ends_) return {*flush_ends_, Reason::flush};
    Expiry earliest{silence_ends_, handshaking_ ? Reason::handshake : Reason::idle};
    if (frame_ends_ && *frame_ends_ < earliest.at) earliest = {*frame_ends_, Reason::frame};
    if (auth_ends_ && auth_holds_ == 0 && *auth_ends_ < earliest.at) earliest = {*auth_ends_, Reason::auth};
    return earliest;
}

std::string ConnectionDeadlines::describe(Reason reason) const {
    switch (reason) {
        case Reason::handshake: return "timed out: TLS handshake not done within " + in_ms(limits_.handshake);
        case Reason::idle: return "timed out: no data from the peer for " + in_ms(limits_.idle);
        case Reason::frame:
            return "timed out: a frame was not complete " + in_ms(limits_.frame) + " after its first byte";
        case Reason::auth: return "timed out: not authenticated within " + in_ms(limits_.auth) + " of connecting";
        case Reason::flush: return "timed out: the peer did not take its last frames within " + in_ms(limits_.flush);
    }
    return "timed out";
}

}  // namespace twofold::net
