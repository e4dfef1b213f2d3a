#include "relay_bench_envelopes.h"

#include <chrono>

#include "crypto/gk.h"
#include "crypto/hex.h"
#include "crypto/key_schedule.h"
#include "member/message_protection.h"
#include "mqtt_auth/token.h"
#include "twofold/v1/relay.pb.h"
#include "wire/statement.h"

namespace twofold::bench {

namespace {

constexpr member::EpochId kEpoch{1, 1};
constexpr std::uint64_t kStatementEpoch = 1;
constexpr std::uint64_t kLoginSeconds = 600;  // the plugin's longest token lifetime
constexpr std::uint64_t kStatementSeconds = 3600;

std::uint64_t now_unix() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::string protect(const std::string& group, const crypto::EpochKeySchedule& keys, const crypto::SigningKey& sender,
                    std::uint64_t sequence, std::size_t plaintext_bytes) {
    const Bytes plaintext(plaintext_bytes, 0x5a);
    auto envelope = member::protect_message(as_bytes(group), kEpoch, keys, sender, sequence, plaintext);
    if (!envelope) return {};  // the sizes here are far below the limit
    return std::string(envelope->begin(), envelope->end());
}

}  // namespace

EnvelopePool::EnvelopePool(const std::string& group, const crypto::SigningKey& sender, std::size_t bytes) {
    auto name = crypto::GroupName::parse("twofold-bench");
    const crypto::EpochKeySchedule keys(crypto::derive_group_key(crypto::make_rn1(), crypto::make_rn2(), *name));
    const std::size_t overhead = protect(group, keys, sender, 1, 0).size();
    const std::size_t plaintext_bytes = bytes > overhead ? bytes - overhead : 1;
    envelopes_.reserve(kEnvelopes);
    relay_envelopes_.reserve(kEnvelopes);
    for (std::uint64_t seq = 1; seq <= kEnvelopes; ++seq) {
        envelopes_.push_back(protect(group, keys, sender, seq, plaintext_bytes));
        v1::Envelope e;
        e.set_type(v1::ENVELOPE_TYPE_GROUP_MESSAGE);
        e.set_sender_key(std::string(sender.public_key().begin(), sender.public_key().end()));
        e.set_group_id(group);
        e.set_payload(envelopes_.back());
        relay_envelopes_.push_back(e.SerializeAsString());
    }
}

std::int64_t ReceiveCounter::publish_index_of_relay_envelope(ByteView envelope) {
    v1::Envelope e;
    if (!e.ParseFromArray(envelope.data(), static_cast<int>(envelope.size()))) return -1;
    return publish_index(as_bytes(e.payload()));
}

std::int64_t ReceiveCounter::publish_index(ByteView envelope) {
    auto message = member::parse_group_message(envelope);
    if (!message) return -1;
    const std::uint64_t sequence = message->header().sequence();
    if (sequence < 1 || sequence > seen_.size()) return -1;
    const std::uint64_t round = seen_[sequence - 1]++;
    return static_cast<std::int64_t>(round * seen_.size() + (sequence - 1));
}

std::string BenchIdentity::username() const { return crypto::to_hex(key.public_key()); }

std::string BenchIdentity::token(const std::string& broker_name) const {
    return mqtt_auth::make_token(key, broker_name, now_unix(), kLoginSeconds);
}

std::string BenchIdentity::statement(const crypto::SigningKey& gms, const std::string& group) const {
    v1::MembershipStatement s;
    s.set_group_id(group);
    s.set_epoch(kStatementEpoch);
    s.set_identity_key(std::string(key.public_key().begin(), key.public_key().end()));
    s.set_account("bench");
    s.set_expires_unix(now_unix() + kStatementSeconds);
    s.set_member_since(1);
    wire::sign_statement(s, gms);
    return s.SerializeAsString();
}

}  // namespace twofold::bench
