// One group's key material at the GMS: its LKH tree and the current RN2, behind the few
// operations the GMS needs. A thin adapter over lkh/, so the GMS reads in its own terms.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "core/result.h"
#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace twofold::gms {

class GroupKeys {
  public:
    using MemberId = std::uint64_t;

    struct Rekey {
        std::uint64_t epoch = 0;  // the new RN2 epoch
        Bytes message;            // lkh/'s rekey encoding, for every remaining member
        std::size_t wrapped_keys = 0;
    };

    GroupKeys();
    GroupKeys(GroupKeys&&) noexcept;
    GroupKeys& operator=(GroupKeys&&) noexcept;
    ~GroupKeys();

    // A new tree holding only the founder, with a fresh RN2 at epoch 1.
    static GroupKeys create(ByteView group_id, MemberId founder);

    // One rekey for all the joins and removals that arrived together.
    Rekey change(std::span<const MemberId> joins, std::span<const MemberId> removes);
    // A fresh RN2 wrapped under the root key: one wrapped key.
    Rekey renew();

    // A member's whole current state (path keys and RN2), serialised for sealing to it: the
    // joiner's welcome, and the answer to an RN2 inquiry.
    Result<crypto::SecretBuffer> member_state(MemberId member) const;
    Status member_state_into(MemberId member, crypto::SecretBuffer& out) const;  // reuses out

    // The RN2s of the last kRecentRn2 epochs before the current one (the members' grace), whatever
    // ended them (a renewal, a join or a removal), restricted to epochs >= `from_epoch`, as
    // epoch(8, big-endian) ‖ RN2(32) each, oldest first, for a welcome: a member that was offline
    // through rekeys still opens a late message of an epoch it was a member at. The caller passes
    // the member's join epoch, so a joiner never gets an RN2 from before its join. Serialised
    // with the tree, so they survive a restart.
    static constexpr std::size_t kRecentRn2 = 2;
    void recent_rn2s_into(std::uint64_t from_epoch, crypto::SecretBuffer& out) const;

    std::uint64_t epoch() const;
    std::size_t member_count() const;

    // The tree and the recent RN2s (format 2); parse also reads format 1, the bare tree the GMS
    // stored before, as keys with no recent RN2s.
    crypto::SecretBuffer serialise() const;
    void serialise_into(crypto::SecretBuffer& out) const;  // reuses out's secure allocation
    static Result<GroupKeys> parse(ByteView bytes);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace twofold::gms
