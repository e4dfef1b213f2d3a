// Which sequence numbers of one sender have arrived: refuses repeats, and reports the ones
// that never came.
//
// A sender numbers its messages in a group 0, 1, 2, ... without gaps (the number is stored
// before the message leaves). The relay can drop or withhold a message but cannot forge one,
// so a number that stays unseen below a later one was lost on the way (or its send failed,
// which the sender was told). Each such gap is reported once; a message that arrives after
// its gap was reported is still accepted.
//
// The state is the highest sequence seen and a bitmap of the 1024 sequences ending at it, plus
// how many of the positions below the highest have not been reported on yet. Pure: no clock,
// no I/O.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"
#include "crypto/bytes.h"

namespace twofold::member {

struct SequenceRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;  // inclusive
    std::uint64_t count() const noexcept { return last - first + 1; }
    friend bool operator==(const SequenceRange&, const SequenceRange&) = default;
};

class ReplayWindow {
  public:
    static constexpr std::uint64_t kWindow = 1024;

    // Refuses, with stale_epoch, a sequence seen before ("replayed message") or one that fell
    // out of the window ("sequence N is older than the replay window").
    Status check(std::uint64_t sequence) const;
    // Whether `sequence` is inside the window and marked: the case check() calls a replay.
    bool received(std::uint64_t sequence) const noexcept;

    // Records `sequence` as arrived: call it only for a message whose signature verified, so a
    // forgery can neither burn a number nor fill a gap. When this would push an unreported,
    // unseen sequence out of the window (it could never be accepted again), every unreported
    // hole below the old highest is appended to `lost` at once (ascending), with the numbers
    // jumped over that never enter the window. Nothing below the first sequence marked counts.
    void mark(std::uint64_t sequence, std::vector<SequenceRange>* lost = nullptr);

    // The unseen sequences below the highest not reported before, ascending; afterwards every
    // sequence up to the highest counts as reported.
    std::vector<SequenceRange> take_gaps();

    // Compact encoding for the member's store: 0x00 for a window that has seen nothing, else
    // 0x02 ‖ highest(8) ‖ unreported(2) ‖ bitmap(128), integers big-endian. parse() also reads
    // the older 0x01 ‖ highest(8) ‖ bitmap(128) (nothing unreported) and refuses anything else,
    // or any state mark() could not have made, with malformed.
    Bytes serialise() const;
    static Result<ReplayWindow> parse(ByteView bytes);

  private:
    bool seen(std::uint64_t distance) const noexcept;
    void collect_unseen(std::uint64_t from_distance, std::uint64_t to_distance, std::vector<SequenceRange>& out) const;

    std::uint64_t highest_ = 0;
    bool any_ = false;
    // Distances 1..unreported_ below the highest have not been reported on; < kWindow.
    std::uint64_t unreported_ = 0;
    FixedBytes<kWindow / 8> seen_{};  // bit i (byte i / 8, bit i % 8): highest_ - i was seen
};

}  // namespace twofold::member
