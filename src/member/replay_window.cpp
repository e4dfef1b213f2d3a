#include "member/replay_window.h"

#include <algorithm>
#include <string>

namespace twofold::member {

namespace {

constexpr std::uint8_t kWindowUnused = 0x00;
constexpr std::uint8_t kWindowV1 = 0x01;  // before gap reports: highest ‖ bitmap
constexpr std::uint8_t kWindowV2 = 0x02;  // highest ‖ unreported ‖ bitmap
constexpr std::size_t kBitmapBytes = ReplayWindow::kWindow / 8;
constexpr std::size_t kV1Bytes = 1 + 8 + kBitmapBytes;
constexpr std::size_t kV2Bytes = 1 + 8 + 2 + kBitmapBytes;

void append_range(std::vector<SequenceRange>& out, std::uint64_t first, std::uint64_t last) {
    if (!out.empty() && out.back().last + 1 == first) {
        out.back().last = last;
    } else {
        out.push_back({first, last});
    }
}

}  // namespace

bool ReplayWindow::seen(std::uint64_t distance) const noexcept {
    return ((seen_[distance / 8] >> (distance % 8)) & 1U) != 0;
}

// Unseen sequences at distances from_distance down to to_distance (so ascending sequences).
void ReplayWindow::collect_unseen(std::uint64_t from_distance, std::uint64_t to_distance,
                                  std::vector<SequenceRange>& out) const {
    for (std::uint64_t d = from_distance; d >= to_distance && d > 0; --d) {
        if (!seen(d)) append_range(out, highest_ - d, highest_ - d);
    }
}

Status ReplayWindow::check(std::uint64_t sequence) const {
    if (!any_ || sequence > highest_) return {};
    const std::uint64_t distance = highest_ - sequence;
    if (distance >= kWindow) {
        return make_error(Errc::stale_epoch,
                          "sequence " + std::to_string(sequence) + " is older than the replay window");
    }
    if (seen(distance)) return make_error(Errc::stale_epoch, "replayed message");
    return {};
}

bool ReplayWindow::received(std::uint64_t sequence) const noexcept {
    return any_ && sequence <= highest_ && highest_ - sequence < kWindow && seen(highest_ - sequence);
}

void ReplayWindow::mark(std::uint64_t sequence, std::vector<SequenceRange>* lost) {
    if (!any_ || sequence > highest_) {
        const std::uint64_t shift = any_ ? sequence - highest_ : kWindow;
        if (any_ && unreported_ > 0 && shift >= kWindow - unreported_) {
            // An unreported position would leave the window: report every hole below the old
            // highest now, in one piece, rather than one number per later message.
            if (lost != nullptr) collect_unseen(unreported_, 1, *lost);
            unreported_ = 0;
        }
        // Sequences between the old highest and the new that never enter the window.
        if (any_ && lost != nullptr && shift > kWindow) append_range(*lost, highest_ + 1, sequence - kWindow);
        unreported_ = !any_ ? 0 : std::min(shift >= kWindow ? kWindow : unreported_ + shift, kWindow - 1);

        // Slide: bit i becomes bit i + shift; bits shifted past the window are forgotten.
        if (shift >= kWindow) {
            seen_.fill(0);
        } else {
            const auto bytes = static_cast<std::size_t>(shift / 8);
            const auto bits = static_cast<unsigned>(shift % 8);
            for (std::size_t i = seen_.size(); i-- > 0;) {
                unsigned v = i >= bytes ? static_cast<unsigned>(seen_[i - bytes]) << bits : 0U;
                if (bits != 0 && i >= bytes + 1) v |= static_cast<unsigned>(seen_[i - bytes - 1]) >> (8 - bits);
                seen_[i] = static_cast<std::uint8_t>(v);
            }
        }
        highest_ = sequence;
        any_ = true;
    }
    const std::uint64_t distance = highest_ - sequence;
    if (distance < kWindow) seen_[distance / 8] |= static_cast<std::uint8_t>(1U << (distance % 8));
}

std::vector<SequenceRange> ReplayWindow::take_gaps() {
    std::vector<SequenceRange> gaps;
    if (any_ && unreported_ > 0) collect_unseen(unreported_, 1, gaps);
    unreported_ = 0;
    return gaps;
}

Bytes ReplayWindow::serialise() const {
    if (!any_) return {kWindowUnused};
    Bytes out;
    out.reserve(kV2Bytes);
    out.push_back(kWindowV2);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(highest_ >> shift));
    out.push_back(static_cast<std::uint8_t>(unreported_ >> 8));
    out.push_back(static_cast<std::uint8_t>(unreported_));
    out.insert(out.end(), seen_.begin(), seen_.end());
    return out;
}

Result<ReplayWindow> ReplayWindow::parse(ByteView bytes) {
    if (bytes.empty()) return make_error(Errc::malformed, "replay window: empty encoding");
    const std::uint8_t state = bytes[0];
    if (state == kWindowUnused) {
        if (bytes.size() != 1) {
            return make_error(Errc::malformed,
                              "replay window: an unused window is 1 byte, got " + std::to_string(bytes.size()));
        }
        return ReplayWindow{};
    }
    if (state != kWindowV1 && state != kWindowV2) {
        return make_error(Errc::malformed, "replay window: unknown state byte " + std::to_string(state));
    }
    const std::size_t expected = state == kWindowV1 ? kV1Bytes : kV2Bytes;
    if (bytes.size() != expected) {
        return make_error(Errc::malformed, "replay window must be " + std::to_string(expected) + " bytes, got " +
                                               std::to_string(bytes.size()));
    }
    ReplayWindow w;
    w.any_ = true;
    std::size_t at = 1;
    for (; at <= 8; ++at) w.highest_ = (w.highest_ << 8) | bytes[at];
    if (state == kWindowV2) {
        w.unreported_ = (std::uint64_t{bytes[at]} << 8) | bytes[at + 1];
        at += 2;
    }
    std::copy(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.end(), w.seen_.begin());

    // Only states mark() can reach: the highest was seen, nothing below sequence 0 was, and the
    // unreported positions lie inside the window and above sequence 0.
    if (!w.seen(0)) return make_error(Errc::malformed, "replay window: the highest sequence is not marked seen");
    if (w.unreported_ >= kWindow || w.unreported_ > w.highest_) {
        return make_error(Errc::malformed, "replay window: unreported positions reach outside the window");
    }
    if (w.highest_ < kWindow - 1) {  // else every bit names a real sequence (and highest_ + 1 may wrap)
        for (std::uint64_t distance = w.highest_ + 1; distance < kWindow; ++distance) {
            if (w.seen(distance)) return make_error(Errc::malformed, "replay window: marks a sequence below 0");
        }
    }
    return w;
}

}  // namespace twofold::member
