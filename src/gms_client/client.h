// A blocking client of twofold-gms: one request at a time, answers matched by request id, and
// pushes (rekeys, welcomes, removals) that arrive meanwhile kept in order for next_push().
// Used by the member library, the tests and twofold-bench.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "crypto/sign.h"
#include "net/tls_client.h"
#include "twofold/v1/gms.pb.h"

namespace twofold::gms {

// The GMS's answer to an RN1 generation claim.
struct Rn1ClaimAnswer {
    bool won = false;
    // The group's current generation and its claimer: this member's own claim if it won, the
    // winner's if not (generation 0 when nothing was claimed yet; no account when the GMS does
    // not know who claimed it).
    v1::Rn1Claim current;
};

class GmsClient {
  public:
    static Result<std::unique_ptr<GmsClient>> connect(const net::Endpoint& server, const std::string& fingerprint,
                                                      net::ClientOptions options = {});

    // The GMS's typed errors come back as Errc (forbidden, unknown, conflict→invalid_argument,
    // rate_limited, stale_epoch ...) with the server's message.
    Result<v1::GmsResponse> call(v1::GmsRequest request);

    Status register_account(const std::string& account, const std::string& password,
                            const crypto::SignPublicKey& identity_key);
    Result<v1::LoginResponse> login(const std::string& account, const std::string& password);
    Result<v1::GroupStatus> create_group(ByteView group_id, const v1::GroupPolicy& policy);
    // valid_until_unix: when the membership expires (0: never, or the group's max validity).
    Result<std::uint64_t> add_member(ByteView group_id, const std::string& account, bool may_invite, bool may_remove,
                                     std::uint64_t valid_until_unix = 0);
    // Sets another member's validity end; answers the one recorded.
    Result<std::uint64_t> extend_validity(ByteView group_id, const std::string& account,
                                          std::uint64_t valid_until_unix);
    Result<std::uint64_t> remove_member(ByteView group_id, const std::string& account);
    Result<std::uint64_t> leave(ByteView group_id);
    Result<std::uint64_t> acknowledge(ByteView group_id, std::uint64_t epoch);
    // The same without waiting: no answer comes unless the GMS refuses it (an error push).
    Status acknowledge_async(ByteView group_id, std::uint64_t epoch);
    Result<v1::Welcome> inquire(ByteView group_id, std::uint64_t known_epoch);
    Result<std::vector<v1::MembershipStatement>> list_members(ByteView group_id);
    Result<v1::MembershipStatement> statement(ByteView group_id);
    // The same, with the statements of the members who joined since `known_epoch` (the epoch of
    // the statement the member held) or since its own join: GmsResponse.joined.
    struct StatementWithJoiners {
        v1::MembershipStatement statement;
        std::vector<v1::MembershipStatement> joined;
    };
    Result<StatementWithJoiners> statement_since(ByteView group_id, std::uint64_t known_epoch);
    // A lost claim (CONFLICT) is an answer, not an error: it names the winner.
    Result<Rn1ClaimAnswer> claim_rn1_generation(ByteView group_id, std::uint64_t generation);
    Result<v1::IdentityStatement> lookup(const std::string& account);

    // The next push (rekey, welcome, removed), waiting up to `timeout`.
    Result<v1::GmsResponse> next_push(std::chrono::milliseconds timeout);
    std::size_t queued_pushes() const noexcept { return pushes_.size(); }

    void set_timeout(std::chrono::milliseconds t) noexcept { timeout_ = t; }
    // Set when the last answer was a standby's NOT_LEADER: the leader's HOST:PORT it named, empty
    // if none leads right now (gms_client/leader_connection.h follows it).
    const std::optional<std::string>& not_leader() const noexcept { return not_leader_; }
    net::TlsClient& transport() noexcept { return *conn_; }

  private:
    explicit GmsClient(std::unique_ptr<net::TlsClient> conn) : conn_(std::move(conn)) {}
    Result<v1::GmsResponse> receive(std::chrono::milliseconds timeout);
    // call() without turning an error answer into an error: the answer, whatever it is.
    Result<v1::GmsResponse> exchange(v1::GmsRequest request);

    std::unique_ptr<net::TlsClient> conn_;
    std::deque<v1::GmsResponse> pushes_;
    std::optional<std::string> not_leader_;
    std::uint64_t next_request_id_ = 1;
    std::chrono::milliseconds timeout_{30'000};
};

}  // namespace twofold::gms
