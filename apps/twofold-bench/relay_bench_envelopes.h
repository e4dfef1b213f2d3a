// What `twofold-bench relay` sends through mosquitto: real group envelopes (member/
// message_protection.h, made before the clock starts so the broker, not the publisher's crypto,
// is measured) and, for the run with the plugin, real logins (tokens) and GMS-signed statements.
//
// Latency without a stamp in the payload: the pool's envelopes carry sequences 1..K and are sent
// round-robin; each receiver counts how often it has seen each sequence, which gives the publish
// index, whose send time the publisher recorded.
#pragma once

#include <string>
#include <vector>

#include "crypto/sign.h"
#include "relay_bench.h"

namespace twofold::bench {

class EnvelopePool {
  public:
    static constexpr std::size_t kEnvelopes = 4096;

    // Envelopes of about `bytes` bytes each (the plaintext is sized so) for `group`, from `sender`.
    EnvelopePool(const std::string& group, const crypto::SigningKey& sender, std::size_t bytes);

    // The group message to send as publication number `index` (0, 1, ...).
    const std::string& for_publish(std::uint64_t index) const { return envelopes_[index % envelopes_.size()]; }
    // The same inside relay.proto's Envelope, as a member publishes it on a group's topic (the
    // plugin lets nothing else through there).
    const std::string& relay_envelope_for_publish(std::uint64_t index) const {
        return relay_envelopes_[index % relay_envelopes_.size()];
    }
    std::size_t envelope_bytes() const { return envelopes_.front().size(); }

  private:
    std::vector<std::string> envelopes_;
    std::vector<std::string> relay_envelopes_;
};

// One receiver's count of each pool sequence, to turn a received envelope into its publish index.
class ReceiveCounter {
  public:
    ReceiveCounter() : seen_(EnvelopePool::kEnvelopes, 0) {}
    // The publish index of `envelope`, or -1 if it is not one of the pool's.
    std::int64_t publish_index(ByteView envelope);
    // The same for a relay.proto Envelope carrying it (the broker's stamp or not).
    std::int64_t publish_index_of_relay_envelope(ByteView envelope);

  private:
    std::vector<std::uint32_t> seen_;
};

// A member as the plugin sees it: an identity key, its login and its statement for the group.
struct BenchIdentity {
    crypto::SigningKey key = crypto::SigningKey::generate();
    std::string username() const;  // = the client id
    std::string token(const std::string& broker_name) const;
    std::string statement(const crypto::SigningKey& gms, const std::string& group) const;
};

}  // namespace twofold::bench
