// The GMS as a relay client: each signed rekey, once the batch that made it has committed, is
// published ONCE to its group's topic on the relay (publish_rekey), which fans it out to the
// group's members. Members still get the direct push when connected to the GMS, and still
// acknowledge to the GMS.
//
// A relay outage never blocks or loses a GMS commit: publications wait in a bounded queue on
// this publisher's own thread, which reconnects and retries with backoff. What it finally has to
// drop (queue full, or the relay refused it on the merits) costs only latency: a member that
// misses a rekey learns of a later epoch and catches up by RN2 inquiry (docs/rekey-delivery.md).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "crypto/sign.h"
#include "gms/core.h"
#include "net/endpoint.h"

namespace twofold::gms {

// The outbox address of a publication (not a member's connection): released after the commit
// like every other Outgoing, then handed to the publisher instead of a socket.
inline constexpr ClientId kRelayTopic = std::numeric_limits<ClientId>::max();

struct RelayPublisherOptions {
    net::Endpoint relay;
    std::string fingerprint;  // the relay's TLS fingerprint, pinned; the auth signature binds it
    std::size_t max_queued = 10'000;
    std::chrono::milliseconds min_backoff{200};
    std::chrono::milliseconds max_backoff{5'000};
};

class RelayPublisher {
  public:
    // `signing_key`: the GMS's key; the relay authenticates the connection with it as the GMS.
    RelayPublisher(RelayPublisherOptions options, crypto::SigningKey signing_key);
    ~RelayPublisher();  // stops the thread; what is still queued is dropped (members inquire)
    RelayPublisher(const RelayPublisher&) = delete;
    RelayPublisher& operator=(const RelayPublisher&) = delete;

    // An encoded v1::SignedRekey; returns at once (thread-safe).
    void publish(std::shared_ptr<const Bytes> signed_rekey);

    struct Counts {
        std::uint64_t published = 0;  // accepted (stored) by the relay
        std::uint64_t dropped = 0;    // refused by the relay, or pushed out of a full queue
    };
    Counts counts() const;

  private:
    void run();

    RelayPublisherOptions options_;
    crypto::SigningKey signing_key_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::shared_ptr<const Bytes>> queue_;  // guarded
    bool quit_ = false;                               // guarded
    Counts counts_;                                   // guarded
    std::thread thread_;
};

}  // namespace twofold::gms
