// The twofold member library: what an end terminal runs. It makes RN1 and shares it only with
// members, receives RN2 from the GMS, derives GK = SHA-256(RN1 ‖ RN2 ‖ GroupName) per epoch,
// and protects every group message with keys derived from GK (docs/member.md).
//
// A Member is opened on a home directory holding its encrypted store. Every operation first
// syncs: it processes what the GMS and the relay hold for it (rekeys, invitations, acceptances
// to answer with RN1, RN1 deliveries, withdrawals, messages), so a sequence of one-shot calls
// completes the paper's flows with no process left running. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/password.h"

namespace twofold {

struct Rights {
    bool may_invite = false;
    bool may_remove = false;
};

// How long a membership lasts (invite, extend): an absolute end, or a duration from the moment
// the GMS records it. Both 0: no end (or, in a group with a max validity, that maximum).
struct Validity {
    std::uint64_t until_unix = 0;
    std::uint64_t for_seconds = 0;
};

struct InitOptions {
    std::string account;
    std::string password;           // for the GMS account (kept in the encrypted store)
    std::string gms;                // HOST:PORT
    std::string gms_fingerprint;    // sha256:HEX, pinned
    std::string gms_signing_key;    // HEX, from `twofold-gms info`: checks membership statements
    std::string relay;              // HOST:PORT (twofold-relay), or mqtts://HOST:PORT (an MQTT broker)
    std::string relay_fingerprint;  // sha256:HEX, pinned
    crypto::PwhashLimits store_limits = crypto::PwhashLimits::interactive();
};

struct GroupPolicyOptions {
    std::uint32_t rn2_interval_seconds = 60;
    std::uint32_t max_members = 0;
    bool strict = false;
    std::uint32_t rn1_interval_seconds = 0;  // 0: the GMS's default (7 days)
    std::uint32_t max_validity_seconds = 0;  // 0: memberships may last for ever
};

struct GroupInfo {
    std::string id;     // hex
    std::string name;   // empty until RN1 arrives
    std::string state;  // "active", "awaiting-keys", "removed"
    Rights rights;
    bool strict = false;
    std::uint64_t rn1_generation = 0;
    std::uint64_t rn2_epoch = 0;
    std::uint64_t membership_epoch = 0;
    std::uint32_t rn2_interval_seconds = 0;  // the group's two rekey periods (policy)
    std::uint32_t rn1_interval_seconds = 0;
    std::uint32_t max_validity_seconds = 0;
    std::uint64_t valid_until = 0;  // this member's own validity end (unix seconds); 0: never
};

struct MemberInfo {
    std::string account;
    std::string fingerprint;  // safety number
    Rights rights;
    std::uint64_t valid_until = 0;  // unix seconds; 0: never
};

struct ExtendOutcome {
    std::string group;
    std::string account;
    std::uint64_t valid_until = 0;  // as the GMS recorded it
};

struct InvitationInfo {
    std::string group_id;    // hex
    std::string group_name;  // sealed to this member by the inviter
    std::string inviter;
    Rights rights;
    bool accepted = false;
};

// What an operation did, for the CLI's line saying what happened and what comes next.
struct InviteOutcome {
    std::string group;  // name
    std::string invitee;
    Rights rights;
};

struct AcceptOutcome {
    std::string group;     // name, as the invitation sealed it
    std::string group_id;  // hex
    std::string inviter;
};

struct SendOutcome {
    std::string group;
    std::uint64_t rn1_generation = 0;
    std::uint64_t rn2_epoch = 0;
};

struct RemoveOutcome {
    std::string group;
    std::string account;
    std::uint64_t membership_epoch = 0;  // the GMS's, after the removal
    bool rn1_rotated = false;            // strict groups
    std::uint64_t rn1_generation = 0;    // current after the removal
};

struct LeaveOutcome {
    std::string group;
    std::uint64_t membership_epoch = 0;
};

struct RotateOutcome {
    std::string group;
    bool won = true;                   // false: another member claimed the generation first
    std::uint64_t rn1_generation = 0;  // the generation made, or the one another member claimed
};

// The direct route (docs/direct-route.md): the invitation, acceptance and RN1 over a channel
// between the two members, through their NATs, confirmed by a short code they share aloud.
struct DirectProgress {
    std::string stage;   // "code", "gathering", "offer sent", "checking", "connected", "handshake",
                         // "established", "refused", "code mismatch", "rn1 sent", "rn1 received", "fallback"
    std::string detail;  // e.g. "via host (local 127.0.0.1:40000, remote 127.0.0.1:40001)"
};

struct DirectOptions {
    std::chrono::seconds wait{600};                     // the inviter waits this long for the invitee
    std::chrono::milliseconds connect_timeout{10'000};  // for a working candidate pair
    bool prefer = false;         // the inviter falls back to the public-key route when no pair works
    bool loopback_only = false;  // gather 127.0.0.1 only (tests outside a namespace, make demo)
    std::function<void(const DirectProgress&)> progress;  // optional
    std::function<bool()> cancelled;                      // optional: true ends the wait (Ctrl-C)
};

struct DirectInviteOutcome {
    std::string group;
    std::string invitee;
    Rights rights;
    std::string pair;  // the candidate pair ICE selected ("host", "server-reflexive", "relayed")
    bool fell_back = false;       // --direct=prefer: sent by the public-key route instead
    std::string fallback_reason;  // why the direct route did not work
    std::uint64_t membership_epoch = 0;
};

struct DirectAcceptOutcome {
    std::string group;
    std::string group_id;  // hex
    std::string inviter;
    std::string pair;
    bool joined = false;  // RN1 and RN2 both held: the group key is ready
};

// `twofold status`: the servers (each reached with its pinned fingerprint) and what is stored.
struct ServerStatus {
    std::string role;  // "gms" or "relay"
    std::string address;
    std::string fingerprint;  // pinned
    bool reachable = false;
    std::string error;  // why not, when unreachable
};

struct StatusReport {
    std::string account;
    std::vector<ServerStatus> servers;
    std::vector<GroupInfo> groups;
    std::vector<InvitationInfo> invitations;  // not yet joined (accepted: waiting for RN1)
    std::size_t deferred_envelopes = 0;       // held until keys or a statement arrive
};

// What a sync or a follow brings: a member's message, or a notice (a membership change, an
// invitation, a message refused and why, messages of a sender that never arrived: `sender` is
// that member, `text` names the sequence numbers).
struct Event {
    enum class Kind { message, notice, refused, missing };
    Kind kind = Kind::notice;
    std::string group;   // name, or id hex while the name is unknown
    std::string sender;  // account
    std::string text;
    std::uint64_t rn1_generation = 0;
    std::uint64_t rn2_epoch = 0;
    std::string group_id{};  // hex, when the group is known here
};

// What the LAN paths carried in this process (docs/rekey-delivery.md).
struct LanStats {
    std::size_t sessions = 0;            // multicast sessions joined
    std::uint64_t rekeys_received = 0;   // GMS-signed rekeys that verified, duplicates included
    std::uint64_t rekeys_applied = 0;    // of those, taken from multicast before any other path
    std::uint64_t messages_sent = 0;     // group messages also sent on the LAN
    std::uint64_t messages_received = 0; // group messages that arrived on the LAN first
};

// A GMS-signed rekey that verified, by one path: for monitoring and the LAN benchmark.
struct RekeyArrival {
    std::string group_id;  // hex
    std::uint64_t rn2_epoch = 0;
    std::string path;   // "GMS", "the relay" or "multicast"
    bool first = false;  // false: a copy of an epoch already taken by another path
};

// The GMS's default password policy, checked here before anything is asked or sent (a GMS
// configured stricter still refuses at registration, naming its limit).
inline constexpr std::size_t kMinPasswordBytes = 8;

namespace member_client {
struct MemberTestSeam;
}

class Member {
  public:
    // What init checks before it asks for a secret or reaches a server: the account name, the
    // addresses, the GMS key, a home that holds no member yet, and the password if already given.
    static Status check_init_options(const std::filesystem::path& home, const InitOptions& options);
    // Creates the identity and the encrypted store in `home`, registers with the GMS. A failure
    // leaves no home behind that this call created.
    static Result<std::unique_ptr<Member>> init(const std::filesystem::path& home, const std::string& passphrase,
                                                const InitOptions& options);
    // auth_failed "wrong passphrase" for a wrong one.
    static Result<std::unique_ptr<Member>> open(const std::filesystem::path& home, const std::string& passphrase);

    ~Member();
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;

    const std::string& account() const;
    std::string fingerprint() const;  // this member's safety number

    // Processes everything waiting at the GMS and the relay; events also go to recv().
    Result<std::vector<Event>> sync();

    Result<GroupInfo> create_group(const std::string& name, const GroupPolicyOptions& policy);
    Result<std::vector<GroupInfo>> groups();
    Result<std::vector<MemberInfo>> members(const std::string& group);

    Result<InviteOutcome> invite(const std::string& group, const std::string& account, Rights rights,
                                 Validity validity = {});
    // Sets another member's validity anew (needs may_invite; within the group's max validity).
    Result<ExtendOutcome> extend(const std::string& group, const std::string& account, Validity validity);
    Result<std::vector<InvitationInfo>> invitations();
    // `which`: the group's name, a group id prefix (4+ hex digits) or the inviter's account.
    // More than one match is an error listing them.
    Result<AcceptOutcome> accept(const std::string& which);

    // The direct route. The inviter shows the code (show_code, once) and waits for the invitee
    // for options.wait; a wrong code ends an attempt, and the third voids the invitation. With
    // options.prefer a route that cannot connect falls back to invite() and says so.
    Result<DirectInviteOutcome> invite_direct(const std::string& group, const std::string& account, Rights rights,
                                              const DirectOptions& options,
                                              const std::function<void(std::string_view code)>& show_code);
    // `which` as for accept(); the code as the inviter read it out. RN1 arrives over the channel,
    // RN2 from the GMS as on the public-key route.
    Result<DirectAcceptOutcome> accept_direct(const std::string& which, std::string_view code,
                                              const DirectOptions& options);

    Result<SendOutcome> send(const std::string& group, const std::string& text);
    // Messages and notices received so far (by this call's sync and earlier ones), oldest first,
    // for one group or all; they are removed from the store as they are returned.
    Result<std::vector<Event>> recv(const std::optional<std::string>& group);
    // Keeps both connections open and calls on_event as things arrive, until should_stop()
    // returns true (checked at least every `poll`). `outgoing` is asked for text to send.
    Status follow(const std::optional<std::string>& group, const std::function<void(const Event&)>& on_event,
                  const std::function<std::optional<std::string>()>& outgoing, const std::function<bool()>& should_stop,
                  std::chrono::milliseconds poll);

    // Also send each group message to the group's multicast session on the LAN, when the GMS
    // announced one, and (in follow) read the others' from it: `chat --lan`, `send --lan`. In
    // follow mode rekeys are taken from announced sessions whether or not this is on.
    void set_lan_messages(bool on);
    LanStats lan_stats() const;
    // Called for every rekey that verifies, duplicates by a second path included.
    void set_rekey_observer(std::function<void(const RekeyArrival&)> observer);

    Result<RemoveOutcome> remove(const std::string& group, const std::string& account);
    Result<LeaveOutcome> leave(const std::string& group);
    Result<RotateOutcome> rotate_rn1(const std::string& group);

    // Reaches each server (pinned fingerprint checked) without syncing, and reports what the
    // store holds. An unreachable server is reported, not an error.
    Result<StatusReport> status();

    // This member's current RN1 and GK of a group, hex: for a person checking that they appear
    // nowhere else (`twofold keys show`, make demo). The member holds them anyway; they are
    // printed only on request.
    struct CurrentKeys {
        std::uint64_t rn1_generation = 0;
        std::uint64_t rn2_epoch = 0;
        std::string rn1_hex;
        std::string gk_hex;
    };
    Result<CurrentKeys> current_keys(const std::string& group);

    Result<std::string> fingerprint_of(const std::string& account);
    Status verify(const std::string& account);

    class Impl;

  private:
    friend struct member_client::MemberTestSeam;  // tests only: src/member_client/member_test_seam.h
    explicit Member(std::unique_ptr<Impl> impl);
    Status follow_loop(const std::optional<std::string>& group, const std::function<void(const Event&)>& on_event,
                       const std::function<std::optional<std::string>()>& outgoing,
                       const std::function<bool()>& should_stop, std::chrono::milliseconds poll);
    std::unique_ptr<Impl> impl_;
};

}  // namespace twofold
