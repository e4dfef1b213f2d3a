// Member::Impl: the member's state and its two connections. member.cpp holds the operations a
// user asks for, sync.cpp what arrives from the GMS and the relay, delivery.cpp which messages
// arrived and which never did, follow.cpp the continuous mode.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gms_client/client.h"
#include "gms_client/endpoints.h"
#include "lan/session.h"
#include "member/group_keys.h"
#include "member/replay_window.h"
#include "member/rn1_claims.h"
#include "member_client/records.h"
#include "member_store/vault.h"
#include "net/multicast_socket.h"
#include "member_client/transport.h"
#include "twofold/member.h"
#include "twofold/v1/local.pb.h"
#include "twofold/v1/relay.pb.h"

namespace twofold {

// How long a one-shot sync waits for the relay to go quiet after its last delivery.
inline constexpr std::chrono::milliseconds kRelayQuiet{300};
// A member rotates RN1 on this long interval, besides on demand and on removal in strict groups.
inline constexpr std::uint64_t kRn1IntervalSeconds = std::uint64_t{7} * 24 * 3600;
// The group's RN1 interval (policy, `group create --rn1-interval`); a GMS that predates it: 7 days.
inline std::uint64_t rn1_interval_seconds(const v1::GroupPolicy& p) {
    return p.rn1_interval_seconds() != 0 ? p.rn1_interval_seconds() : kRn1IntervalSeconds;
}

class Member::Impl {
  public:
    struct Group {
        v1::LocalGroup info;
        std::optional<member::GroupKeys> keys;  // once the name (with RN1) is known
        std::uint64_t stored_revision = 0;      // keys->revision() as last written to the store
        // Who claimed the recent RN1 generations, as the GMS said. Memory only: every session's
        // login says it again, and a newer generation is asked for when its delivery arrives.
        member::Rn1Claims rn1_claims;
    };

    Impl(member_store::Vault vault, v1::MemberConfig config, crypto::SigningKey identity,
         crypto::SecretBuffer password);

    // --- member.cpp ---
    static Result<std::unique_ptr<Impl>> load(member_store::Vault vault);
    Status connect();
    // Every GMS process this member may reach (MemberConfig.gms_endpoints, or its one gms_host).
    static std::vector<gms::GmsEndpoint> gms_endpoints_of(const v1::MemberConfig& config);
    Result<Group*> find_group(const std::string& which);  // name, or id hex (prefix of 4+)
    Result<v1::MembershipStatement> my_statement(Group& g);
    void keep_joiners(Group& g, const std::vector<v1::MembershipStatement>& joined);
    Status present_statements(Group& g);  // own and joiners' statements, to the transport
    Status save_group(Group& g);  // the public record always, the keys when they changed
    Status check_contact(const std::string& account, const std::string& identity_key);
    Result<std::string> registered_key(const std::string& account);  // from a verified GMS statement
    Status rotate(Group& g, const std::string& excluded_account);
    Status publish(Group& g, v1::EnvelopeType type, const std::string& payload);  // retried once on a stale statement
    Status send_text(Group& g, const std::string& text);
    GroupInfo info_of(const Group& g) const;
    // info_of, with the name the invitation sealed while RN1 (which carries it too) is awaited.
    GroupInfo listed_info_of(const Group& g);
    std::string group_label(const Group& g) const;

    // --- sync.cpp ---
    Result<std::vector<Event>> sync();
    Status sync_steps();
    Error sync_failed(const Error& error);
    Status reconcile(const std::vector<v1::GroupStatus>& statuses);
    Status inquire(Group& g);
    Status handle_welcome(const v1::Welcome& welcome);
    Status handle_push(const v1::GmsResponse& push);
    Status drain_pushes(bool barrier = true);
    Status subscribe_all();
    Status drain_relay(std::chrono::milliseconds quiet);
    // The transport's handler: one envelope (or a delivery that is none) processed and committed.
    Status process_envelope(const Result<v1::Envelope>& envelope);
    void handle_envelope(const v1::Envelope& envelope);  // dispatches to the on_* below

    // --- envelope_ids.cpp: which envelopes were processed already (a redelivery is dropped) ---
    // `group`: the envelope's group (nullptr for a mailbox envelope).
    Result<bool> already_processed(const Group* group, const v1::Envelope& envelope);
    void note_processed(Group* group, const v1::Envelope& envelope);
    Status prune_envelope_ids();  // MQTT: forgets ids older than a broker could redeliver
    void on_group_message(Group& group, const v1::Envelope& envelope);
    void on_withdrawal(Group& group, const v1::Envelope& envelope);
    void on_invitation(const v1::Envelope& envelope);
    void on_rn1_delivery(const v1::Envelope& envelope);
    // A rotation's RN1 (no invitation nonce): from a current member whose claim of that
    // generation the GMS accepted.
    Status check_rotation(Group& g, const v1::Rn1Delivery& delivery);
    void refuse(const std::string& where, const std::string& what, const Error& error);

    // --- rekeys.cpp: a GMS-signed rekey by any path (`path` names it in refusals) ---
    Status take_rekey(const v1::SignedRekey& rekey, const std::string& group_id, const char* path);
    void on_rekey_envelope(Group& group, const v1::Envelope& envelope);
    Status retry_deferred();
    Status refresh_roster(Group& g);
    // `expired_at` set: the membership ended because its validity did (unix seconds).
    Status mark_removed(Group& g, const std::string& by, std::uint64_t expired_at = 0);
    // `invitation_gid`: the event is that group's invitation (recv drops it once accepted).
    void emit(Event event, const std::string& invitation_gid = {});

    // --- admission.cpp: completing an admission, retried until done or refused on the merits ---
    void on_acceptance(const v1::Envelope& envelope);
    Status retry_admissions();
    Status advance_admission(const std::string& nonce_hex, v1::PendingAdmission& pending);
    Result<std::uint64_t> admitted_epoch(Group& g, const std::string& invitee_key);
    void on_admission_refusal(const v1::Envelope& envelope);
    std::string inviter_account(const Group& g);
    void begin_membership(Group& g);  // before a re-admission's acceptance
    // A server's failure that leaves work for the next sync: named in the sync's error.
    void note_pending(const std::string& what, const Error& error);

    // --- lan.cpp: the multicast sessions the GMS announced (follow mode) ---
    // `join`: receive too (follow mode); otherwise only send (a one-shot `send --lan`).
    Status open_lan_sessions(bool join);
    void poll_lan();  // every datagram waiting now
    void on_lan_datagram(const std::string& group_id, ByteView datagram);
    bool send_lan_message(Group& g, const std::string& message);  // true: it went on the LAN

    // The group-message path, shared by sync and follow.
    Status open_group_message(Group& g, const v1::Envelope& envelope);

    // --- invitation.cpp ---
    struct PreparedInvitation {
        Group* group = nullptr;
        v1::Invitation invitation;  // signed, not yet sent
        crypto::SignPublicKey invitee{};
    };
    // The checks of an invite (active group, rights, the invitee's registered key) and the
    // signed invitation, for either route.
    Result<PreparedInvitation> prepare_invitation(const std::string& group, const std::string& account, Rights rights);
    // The public-key route's send of a prepared invitation: by mailbox, remembered as sent.
    Status send_invitation(const PreparedInvitation& p, const std::string& account, const Validity& validity = {});
    // The invitee's side of an accepted invitation: the group waits for RN1 from its inviter.
    Status await_keys(const v1::Invitation& invitation);

    // --- admission.cpp ---
    // The GMS add of an accepted invitee (idempotent: "already a member" under this key is the
    // earlier attempt's epoch), then the rekey it causes.
    Result<std::uint64_t> add_at_gms(Group& g, const std::string& invitee, const v1::Rights& rights,
                                     const std::string& invitee_key, std::uint64_t valid_until = 0);

    // --- direct_acceptance.cpp, direct_invitation.cpp: the direct route ---
    void on_direct_offer(const v1::Envelope& envelope);  // kept for `accept --code`
    // The next envelope of `type` from the relay until the deadline, processing the others as a
    // sync does; timeout at the deadline, unavailable ("cancelled") when cancelled() says so.
    Result<v1::Envelope> wait_for_envelope(v1::EnvelopeType type, std::chrono::steady_clock::time_point deadline,
                                           const std::function<bool()>& cancelled);
    std::function<void(int, std::string&)> direct_tamper_;  // tests: a relay altering signalling

    // --- delivery.cpp: which messages arrived, and which never did ---
    // The sender's window, unless the number is a replay or older than the window.
    Result<member::ReplayWindow> check_arrival(const Group& g, const v1::GroupMessageHeader& h) const;
    // Marks the number in that window and stores it; reports holes it pushes out unseen.
    // A copy of a message already opened (by (sender, sequence)): with LAN messages on, the copy
    // that comes second by the other path is expected, not a replay to report.
    bool already_received(const Group& g, const v1::Envelope& envelope) const;
    void record_arrival(Group& g, const v1::GroupMessageHeader& h, member::ReplayWindow window);
    void account_for_refused(Group& g, const v1::Envelope& envelope);  // signed, but not opened
    void report_missing(const Group& g, const std::string& sender_hex, const std::vector<member::SequenceRange>& ranges);
    Status report_gaps();  // at a quiet moment: every gap still open, once

    member_store::Vault vault_;
    v1::MemberConfig config_;
    crypto::SigningKey identity_;
    crypto::SecretBuffer password_;
    crypto::SignPublicKey gms_key_{};
    std::map<std::string, Group> groups_;  // by group id bytes
    std::unique_ptr<gms::GmsClient> gms_;
    std::unique_ptr<member_client::Transport> relay_;  // twofold-relay or an MQTT broker
    std::vector<v1::GroupStatus> statuses_;            // from the last login
    bool fresh_login_ = false;                         // statuses_ not reconciled yet
    // TURN credentials for the direct route from the last login (memory only, never stored; unset
    // when the GMS hands out none). ice::servers_from turns them into the ICE agent's servers.
    std::optional<v1::TurnCredentials> turn_;
    std::map<std::string, std::uint64_t> subscribed_;  // group id -> statement epoch shown
    std::vector<Event> events_;
    std::vector<std::string> pending_;  // this sync's work left for the next one
    bool connection_lost_ = false;      // a server connection failed during this sync
    bool to_inbox_ = true;  // follow() hands events straight to its caller
    std::uint64_t next_inbox_ = 0;
    crypto::SecretBuffer plaintext_;  // reused: a secure allocation per message costs syscalls
    bool arrivals_since_report_ = true;
    struct LanSession {
        v1::SessionAnnouncement announcement;
        std::unique_ptr<net::MulticastSocket> socket;
    };
    std::map<std::string, LanSession> lan_sessions_;  // by group id bytes: joined in follow mode
    bool lan_messages_ = false;                       // chat --lan
    bool lan_before_envelopes_ = false;  // follow mode: multicast is read before each envelope
    bool lan_polled_ = false;            // ... and was, in this round
    LanStats lan_stats_;
    std::function<void(const RekeyArrival&)> rekey_observer_;  // report_gaps has work: the first sync checks what is stored
};

std::uint64_t now_unix();
// A server's failure worth trying again later (it went away or asked for patience), not a refusal
// on the merits.
bool transient(const Error& e);
std::string id_hex(const std::string& group_id);

}  // namespace twofold
