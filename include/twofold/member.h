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
#include <vector>

#include "core/result.h"
#include "crypto/password.h"

namespace twofold {

struct Rights {
    bool may_invite = false;
    bool may_remove = false;
};

struct InitOptions {
    std::string account;
    std::string password;           // for the GMS account (kept in the encrypted store)
    std::string gms;                // HOST:PORT
    std::string gms_fingerprint;    // sha256:HEX, pinned
    std::string gms_signing_key;    // HEX, from `twofold-gms info`: checks membership statements
    std::string relay;              // HOST:PORT
    std::string relay_fingerprint;  // sha256:HEX, pinned
    crypto::PwhashLimits store_limits = crypto::PwhashLimits::interactive();
};

struct GroupPolicyOptions {
    std::uint32_t rn2_interval_seconds = 60;
    std::uint32_t max_members = 0;
    bool strict = false;
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
};

struct MemberInfo {
    std::string account;
    std::string fingerprint;  // safety number
    Rights rights;
};

struct InvitationInfo {
    std::string group_id;  // hex
    std::string inviter;
    Rights rights;
    bool accepted = false;
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

class Member {
  public:
    // Creates the identity and the encrypted store in `home`, registers with the GMS.
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

    Status invite(const std::string& group, const std::string& account, Rights rights);
    Result<std::vector<InvitationInfo>> invitations();
    // `which`: a group id (or a prefix of one) or the inviter's account.
    Status accept(const std::string& which);

    Status send(const std::string& group, const std::string& text);
    // Messages and notices received so far (by this call's sync and earlier ones), oldest first,
    // for one group or all; they are removed from the store as they are returned.
    Result<std::vector<Event>> recv(const std::optional<std::string>& group);
    // Keeps both connections open and calls on_event as things arrive, until should_stop()
    // returns true (checked at least every `poll`). `outgoing` is asked for text to send.
    Status follow(const std::optional<std::string>& group, const std::function<void(const Event&)>& on_event,
                  const std::function<std::optional<std::string>()>& outgoing, const std::function<bool()>& should_stop,
                  std::chrono::milliseconds poll);

    Status remove(const std::string& group, const std::string& account);
    Status leave(const std::string& group);
    Status rotate_rn1(const std::string& group);

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
    explicit Member(std::unique_ptr<Impl> impl);
    Status follow_loop(const std::optional<std::string>& group, const std::function<void(const Event&)>& on_event,
                       const std::function<std::optional<std::string>()>& outgoing,
                       const std::function<bool()>& should_stop, std::chrono::milliseconds poll);
    std::unique_ptr<Impl> impl_;
};

}  // namespace twofold
