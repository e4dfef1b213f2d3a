// A blocking relay client for members, tests and the benchmark: connect with the relay's pinned
// TLS fingerprint, authenticate with an identity key, then subscribe, publish, send to a
// mailbox, receive and acknowledge. Not thread-safe: one thread per client.
//
// Envelopes pushed while a request waits for its answer are kept and handed out by receive(),
// in the order they arrived. Refusals come back as Errors whose code follows the relay's
// ErrorCode (malformed, too_large, auth_failed, forbidden, stale_epoch, rate_limited ...) and
// whose message is the relay's, prefixed with the code's name.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>

#include "core/result.h"
#include "crypto/sign.h"
#include "net/endpoint.h"
#include "net/tls_client.h"
#include "twofold/v1/relay.pb.h"

namespace twofold::relay {

inline constexpr std::chrono::milliseconds kDefaultRequestTimeout{10'000};

class RelayClient {
  public:
    // Connects and authenticates. The fingerprint is also what the auth signature binds to.
    static Result<std::unique_ptr<RelayClient>> connect(const net::Endpoint& relay, const std::string& fingerprint,
                                                        const crypto::SigningKey& identity,
                                                        std::chrono::milliseconds timeout = kDefaultRequestTimeout);
    // Connects without authenticating, for tests of what the relay refuses before auth.
    static Result<std::unique_ptr<RelayClient>> connect_unauthenticated(
        const net::Endpoint& relay, const std::string& fingerprint,
        std::chrono::milliseconds timeout = kDefaultRequestTimeout);

    const std::string& challenge() const { return challenge_; }
    Status authenticate(const crypto::SigningKey& identity);

    // Returns the statement epoch the relay accepted.
    Result<std::uint64_t> subscribe(ByteView group_id, const v1::MembershipStatement& statement);
    // Returns the envelope id, once the relay has stored it durably.
    Result<std::uint64_t> publish(ByteView group_id, const v1::MembershipStatement& statement, v1::EnvelopeType type,
                                  ByteView payload);
    Result<std::uint64_t> send(ByteView recipient_key, v1::EnvelopeType type, ByteView payload);

    // The next delivered envelope: timeout if none arrives in time.
    Result<v1::Envelope> receive(std::chrono::milliseconds timeout);
    // Tells the relay these were received: it deletes them. Not answered unless refused.
    Status ack(std::span<const std::uint64_t> ids);

    // A request as given (its request_id is replaced), and its answer: for tests of bad input.
    Result<v1::RelayResponse> request(v1::RelayRequest request);
    // Pipelining: send now, collect the answer later with wait_answer().
    Result<std::uint64_t> send_request(v1::RelayRequest request);
    Result<v1::RelayResponse> wait_answer(std::uint64_t request_id, std::chrono::milliseconds timeout);

    net::TlsClient& transport() { return *tls_; }

  private:
    RelayClient(std::unique_ptr<net::TlsClient> tls, std::string fingerprint, std::chrono::milliseconds timeout);
    Result<v1::RelayResponse> read_one(std::chrono::milliseconds timeout);

    std::unique_ptr<net::TlsClient> tls_;
    std::string fingerprint_;
    std::chrono::milliseconds timeout_;
    std::string challenge_;
    std::uint64_t next_request_id_ = 1;
    std::deque<v1::Envelope> inbox_;
    std::deque<v1::RelayResponse> answers_;  // answers read while waiting for another
};

Error relay_error(const v1::Error& error);

}  // namespace twofold::relay
