// One group's keys on a member: RN1 by generation, RN2 by epoch (its LKH path state gives the
// current one), and the GK of any epoch it still holds both halves of. Old halves are kept for a
// grace period of `grace` newer ones (default 2), so late messages still open, then wiped.
//
// Pure: the session feeds it deliveries, welcomes and rekeys, and stores what it exposes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "core/result.h"
#include "crypto/gk.h"
#include "crypto/group_name.h"
#include "crypto/key_schedule.h"
#include "lkh/member_state.h"
#include "member/message_protection.h"

namespace twofold::member {

inline constexpr unsigned kDefaultGraceRekeys = 2;

class GroupKeys {
  public:
    GroupKeys(crypto::GroupName name, unsigned grace = kDefaultGraceRekeys) : name_(std::move(name)), grace_(grace) {}

    const crypto::GroupName& name() const noexcept { return name_; }

    // A generation older than the newest held minus the grace is refused (stale_epoch); the same
    // generation again must carry the same RN1 (auth_failed otherwise: two RN1s for one
    // generation would fork the group).
    Status add_rn1(std::uint64_t generation, crypto::Rn1 rn1);

    // A welcome or an RN2 inquiry's answer: the whole current path. Older epochs stay for the
    // grace period; an epoch older than the current one is refused (stale_epoch).
    Status set_path(lkh::MemberState path);
    // A pushed rekey: applied to the path (lkh/member_state.h's errors), recording the new RN2.
    Status apply_rekey(ByteView lkh_message);

    bool has_rn1() const noexcept { return !rn1s_.empty(); }
    bool has_rn2() const noexcept { return path_.has_value(); }
    bool ready() const noexcept { return has_rn1() && has_rn2(); }
    // The epoch this member sends in: its newest RN1 generation and RN2 epoch.
    std::optional<EpochId> current() const;

    // The schedule of an epoch: unknown "newer ..." when the member lacks that RN2 epoch (ask the
    // GMS) or RN1 generation (wait for its delivery), stale_epoch "... older than the grace
    // period" when it was wiped.
    Result<crypto::EpochKeySchedule> schedule(EpochId epoch) const;

    // For storage: the held halves (the path state carries the current RN2).
    const std::map<std::uint64_t, crypto::Rn1>& rn1s() const noexcept { return rn1s_; }
    const std::map<std::uint64_t, crypto::Rn2>& old_rn2s() const noexcept { return rn2s_; }
    const std::optional<lkh::MemberState>& path() const noexcept { return path_; }
    // Restores an RN2 of an epoch before the path's (from storage).
    void restore_rn2(std::uint64_t epoch, crypto::Rn2 rn2);
    // Moves on every change of the held keys, so a caller stores them only when they changed.
    std::uint64_t revision() const noexcept { return revision_; }

  private:
    void record_current_rn2();
    void prune();

    crypto::GroupName name_;
    unsigned grace_;
    std::map<std::uint64_t, crypto::Rn1> rn1s_;
    std::map<std::uint64_t, crypto::Rn2> rn2s_;  // every held epoch, the current one included
    std::optional<lkh::MemberState> path_;
    std::uint64_t revision_ = 0;
};

}  // namespace twofold::member
