// The Group Management Server's protocol logic: pure, single-threaded, no sockets, clocks or
// disks. The server feeds it requests and the time; it answers through an outbox that the server
// releases only after the batch's changes are committed, and it reports what to persist through
// a journal. So a crash loses only what was never acknowledged.
//
// What it never sees: RN1, GK, a group's name, or any message content.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/secret.h"
#include "crypto/sign.h"
#include "crypto/x25519.h"
#include "gms/expiry.h"
#include "gms/journal.h"
#include "gms/model.h"
#include "gms/throttle.h"
#include "lan/session.h"
#include "twofold/v1/gms.pb.h"

namespace twofold::gms {

// The most joiners' statements beside a statement answer (GmsResponse.joined): the latest joins.
// A member that fell further behind presents these; the earlier joiners' were presented by the
// members that were there when they joined.
inline constexpr std::size_t kMaxJoinedStatements = 64;

using ClientId = std::uint64_t;

// coturn's shared secret and addresses: each login answer carries TURN credentials valid for
// ttl_seconds (docs/direct-route.md). Without a secret, no credentials are handed out.
struct TurnConfig {
    std::shared_ptr<const crypto::SecretBuffer> secret;  // static-auth-secret; never logged
    std::vector<std::string> turn_servers;               // "host:port"
    std::string stun_server;                             // "host:port" or empty
    std::uint64_t ttl_seconds = 3600;
};

struct Config {
    TurnConfig turn;
    std::uint32_t default_rn2_interval_seconds = 60;
    std::uint32_t default_rn1_interval_seconds = 7 * 24 * 3600;
    std::uint32_t max_members = 100'000;
    std::uint64_t statement_ttl_seconds = 3600;
    std::size_t min_password_bytes = 8;
    double requests_per_second = 500;
    double request_burst = 1000;
    // Set when the GMS also sends rekeys to IP multicast on a LAN: each group's session.
    std::optional<lan::SessionPlan> lan;
};

// A frame to send once the batch has committed. Fan-out shares one encoding.
struct Outgoing {
    ClientId to;
    std::shared_ptr<const Bytes> payload;  // an encoded v1::GmsResponse
};

// Argon2id runs off the server's thread: handle() hands back this job, the server runs it on
// a worker and returns the result through finish_register() or finish_login().
struct PasswordJob {
    enum class Kind { register_account, login };
    Kind kind;
    ClientId client;
    std::uint64_t request_id;
    std::string account;
    std::string password;       // wiped by the server after use
    std::string stored_hash;    // login: the hash to verify against
    crypto::SignPublicKey identity_key{};
};

class GmsCore {
  public:
    GmsCore(Config config, crypto::SigningKey signing_key, State state);

    void connected(ClientId client, std::string address);
    void disconnected(ClientId client);

    // Handles one request. Answers and pushes go to `out`; a job, if any, must be run and
    // finished before the client's answer exists.
    std::optional<PasswordJob> handle(ClientId client, const v1::GmsRequest& request, std::uint64_t now_ms,
                                      std::vector<Outgoing>& out);
    void finish_register(const PasswordJob& job, Result<std::string> hash, std::vector<Outgoing>& out);
    void finish_login(const PasswordJob& job, bool password_ok, std::uint64_t now_ms, std::vector<Outgoing>& out);

    // Applies the membership changes queued during this batch (one rekey per group) and the timed
    // renewals that are due. Call once per batch, before committing the journal.
    void end_batch(std::uint64_t now_ms, std::vector<Outgoing>& out);

    // What changed since the last call, to be committed before `out` is released.
    Journal take_journal();

    // The rekeys signed since the last call, each an encoded v1::SignedRekey, to publish once to
    // its group's relay topic when the batch has committed (as `out` is released).
    std::vector<std::shared_ptr<const Bytes>> take_publications();

    // The next membership expiry (unix seconds), for the server's one-shot timer: end_batch at
    // or after it removes the members whose validity ended.
    std::optional<std::uint64_t> next_expiry() const { return expiries_.next_due(); }

    const crypto::SignPublicKey& signing_public_key() const noexcept { return signing_key_.public_key(); }
    const Group* group(const GroupId& id) const;
    std::size_t group_count() const noexcept { return groups_.size(); }

  private:
    struct Client {
        std::string address;
        std::optional<AccountId> account;
    };
    struct PendingChange {
        ClientId requester;
        std::uint64_t request_id;
        v1::MemberNotification::Change change;
        AccountId target;
        AccountId by;
        Rights rights;
        std::uint64_t valid_until = 0;  // an add: the validity granted; a removal: set if it expired
        bool expired = false;           // queued by the expiry schedule, not by a request
    };
    struct PendingGroup {
        std::map<AccountId, Rights> effective;  // members once the queued changes apply
        std::vector<PendingChange> changes;
    };
    // The pending changes of a group, created from its committed members on first use.
    PendingGroup& pending_of(const Group& group);
    // Queues the removal of every membership whose validity ended by `now_ms` (expiry.cpp).
    void queue_expiries(std::uint64_t now_ms);

    void answer_error(ClientId to, std::uint64_t request_id, v1::ErrorCode code, std::string message,
                      std::vector<Outgoing>& out);
    void send(ClientId to, const v1::GmsResponse& response, std::vector<Outgoing>& out);
    void send_to_account(AccountId account, const std::shared_ptr<const Bytes>& payload, std::vector<Outgoing>& out);

    void on_create_group(ClientId, AccountId, std::uint64_t request_id, const v1::CreateGroupRequest&,
                         std::uint64_t now_ms, std::vector<Outgoing>&);
    void on_member_notification(ClientId, AccountId, std::uint64_t request_id, const v1::MemberNotification&,
                                std::uint64_t now_ms, std::vector<Outgoing>&);
    void on_extend_validity(ClientId, AccountId, std::uint64_t request_id, const v1::ExtendValidity&,
                            std::uint64_t now_ms, std::vector<Outgoing>&);
    void on_rekey_ack(ClientId, AccountId, std::uint64_t request_id, const v1::RekeyAck&, std::vector<Outgoing>&);
    void on_inquiry(ClientId, AccountId, std::uint64_t request_id, const v1::Rn2Inquiry&, std::vector<Outgoing>&);
    void on_list_members(ClientId, AccountId, std::uint64_t request_id, const v1::ListMembersRequest&,
                         std::uint64_t now_ms, std::vector<Outgoing>&);
    void on_statement(ClientId, AccountId, std::uint64_t request_id, const v1::StatementRequest&,
                      std::uint64_t now_ms, std::vector<Outgoing>&);
    void on_rn1_generation(ClientId, AccountId, std::uint64_t request_id, const v1::Rn1GenerationClaim&,
                           std::vector<Outgoing>&);
    void on_lookup(ClientId, std::uint64_t request_id, const v1::LookupAccount&, std::vector<Outgoing>&);

    // signed_rekeys.cpp: signs a rekey, keeps it for publication, returns the push to members.
    std::shared_ptr<const Bytes> signed_push(v1::Rekey rekey);

    void apply_pending(Group& group, PendingGroup& pending, std::uint64_t now_ms, std::vector<Outgoing>& out);
    void renew(Group& group, std::uint64_t now_ms, std::vector<Outgoing>& out);
    void schedule_renewal(const Group& group, std::uint64_t now_ms);
    // The sealed welcome for one member of a group: path keys and RN2, and the recent RN2s of
    // the epochs it was a member at.
    std::optional<v1::GmsResponse> welcome_for(const Group& group, AccountId member) const;
    // The X25519 form of a member's identity key, which welcomes are sealed to (cached).
    const crypto::X25519PublicKey* sealing_key(AccountId member) const;
    v1::GroupStatus status_of(const Group& group, AccountId member) const;
    // lan_sessions.cpp: the group's signed multicast session announcement, when there is a LAN.
    void add_lan_session(const Group& group, std::uint64_t now_ms, v1::GroupStatus& status) const;
    void add_turn_credentials(AccountId account, std::uint64_t now_ms, v1::TurnCredentials& turn) const;
    // Who claimed a generation (no account when the GMS does not know: claimed before schema 2).
    v1::Rn1Claim rn1_claim_of(const Group& group, std::uint64_t generation) const;
    // The claims of the current generation and of those before it that members may still hold.
    void add_rn1_claims(const Group& group, google::protobuf::RepeatedPtrField<v1::Rn1Claim>& out) const;
    v1::MembershipStatement statement_for(const Group& group, AccountId member, std::uint64_t now_ms) const;

    Group* find_group(const std::string& id);
    // The group, if it exists and `me` is a member; otherwise answers the error and returns null.
    Group* require_member(ClientId client, std::uint64_t rid, const std::string& group_id, AccountId me,
                          std::vector<Outgoing>& out);
    void log_out(ClientId client, Client& c);
    const Account* find_account(const std::string& name) const;

    Config config_;
    crypto::SigningKey signing_key_;
    std::map<AccountId, Account> accounts_;
    std::unordered_map<std::string, AccountId> account_ids_;  // by name
    std::map<GroupId, Group> groups_;
    std::unordered_map<ClientId, Client> clients_;
    std::map<AccountId, std::set<ClientId>> online_;
    std::map<GroupId, PendingGroup> pending_;
    std::multimap<std::uint64_t, GroupId> renewals_;  // due time (ms) -> group
    std::map<GroupId, std::uint64_t> renewal_due_;     // the live entry per group
    ExpirySchedule expiries_;                          // memberships with a validity end
    AccountId next_account_id_ = 1;
    LoginThrottle login_throttle_;
    RequestBudget budget_;
    JournalBuilder journal_;
    std::vector<std::shared_ptr<const Bytes>> publications_;  // signed rekeys of this batch
    mutable crypto::SecretBuffer scratch_;  // welcomes on their way to sealing, reused
    mutable std::unordered_map<AccountId, crypto::X25519PublicKey> sealing_keys_;
};

}  // namespace twofold::gms
