// The replay window: refusing repeats, and reporting the sequence numbers that never came.
#include "member/replay_window.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace twofold::member {
namespace {

std::string refusal(const ReplayWindow& w, std::uint64_t sequence) {
    const Status s = w.check(sequence);
    if (s.ok()) return "";
    EXPECT_EQ(s.error().code, Errc::stale_epoch);
    return s.error().message;
}

TEST(ReplayWindow, AcceptsInOrderAndRefusesDuplicates) {
    ReplayWindow w;
    for (std::uint64_t seq = 0; seq < 3000; ++seq) {
        ASSERT_EQ(refusal(w, seq), "") << seq;
        w.mark(seq);
        ASSERT_EQ(refusal(w, seq), "replayed message") << seq;
    }
}

TEST(ReplayWindow, AcceptsOutOfOrderWithinTheWindowOnce) {
    ReplayWindow w;
    w.mark(5000);
    for (std::uint64_t seq : {4999u, 4000u, 3977u, 4500u}) {
        EXPECT_EQ(refusal(w, seq), "") << seq;
        w.mark(seq);
        EXPECT_EQ(refusal(w, seq), "replayed message") << seq;
    }
    EXPECT_EQ(refusal(w, 4001), "");
    EXPECT_EQ(refusal(w, 5001), "");
}

TEST(ReplayWindow, TheWindowIsExactly1024Wide) {
    ReplayWindow w;
    w.mark(10000);
    EXPECT_EQ(refusal(w, 10000 - 1023), "");
    EXPECT_EQ(refusal(w, 10000 - 1024), "sequence 8976 is older than the replay window");
    EXPECT_EQ(refusal(w, 0), "sequence 0 is older than the replay window");
}

TEST(ReplayWindow, AFarJumpAheadForgetsTheOldWindow) {
    ReplayWindow w;
    for (std::uint64_t seq = 0; seq < 100; ++seq) w.mark(seq);
    w.mark(1'000'000);
    EXPECT_EQ(refusal(w, 1'000'000), "replayed message");
    EXPECT_EQ(refusal(w, 999'999), "");
    EXPECT_EQ(refusal(w, 99), "sequence 99 is older than the replay window");
    w.mark(UINT64_MAX);
    EXPECT_EQ(refusal(w, UINT64_MAX), "replayed message");
    EXPECT_EQ(refusal(w, UINT64_MAX - 1), "");
    EXPECT_NE(refusal(w, 1'000'000), "");
}

TEST(ReplayWindow, SlidesByEveryDistanceAgainstAReferenceModel) {
    std::mt19937_64 rng(20240607);
    for (int trial = 0; trial < 40; ++trial) {
        ReplayWindow w;
        std::set<std::uint64_t> seen;
        std::uint64_t highest = 5000;
        for (int step = 0; step < 2000; ++step) {
            // Mostly small steps forward and back, with the odd long jump.
            const std::uint64_t span = rng() % 16 == 0 ? 3000 : 40;
            const std::uint64_t seq = highest + 2000 - span / 2 + rng() % span;
            const bool fresh = !seen.contains(seq) && (seen.empty() || seq + ReplayWindow::kWindow > *seen.rbegin());
            ASSERT_EQ(w.check(seq).ok(), fresh) << "trial " << trial << " step " << step << " seq " << seq;
            if (fresh) {
                w.mark(seq);
                seen.insert(seq);
                highest = *seen.rbegin() - 2000;
            }
        }
    }
}

TEST(ReplayWindow, SerialisesAndParsesBack) {
    ReplayWindow empty;
    EXPECT_EQ(empty.serialise(), Bytes{0x00});
    ASSERT_TRUE(ReplayWindow::parse(empty.serialise()).ok());

    ReplayWindow w;
    for (std::uint64_t seq : {10u, 3000u, 2990u, 2500u, 1977u, 2999u}) w.mark(seq);
    const Bytes bytes = w.serialise();
    ASSERT_EQ(bytes.size(), 1u + 8 + 2 + 128);
    auto back = ReplayWindow::parse(bytes);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->serialise(), bytes);
    for (std::uint64_t seq = 1900; seq < 3100; ++seq) EXPECT_EQ(back->check(seq).ok(), w.check(seq).ok()) << seq;

    ReplayWindow top;
    top.mark(UINT64_MAX);
    ASSERT_TRUE(ReplayWindow::parse(top.serialise()).ok());
}

TEST(ReplayWindow, ParseRefusesAnythingMarkCouldNotHaveMade) {
    ReplayWindow w;
    w.mark(3000);
    w.mark(2999);
    const Bytes good = w.serialise();
    const auto refused = [](const Bytes& b) {
        const auto r = ReplayWindow::parse(b);
        return !r.ok() && r.error().code == Errc::malformed;
    };
    EXPECT_TRUE(refused({}));
    EXPECT_TRUE(refused({0x00, 0x00}));
    EXPECT_TRUE(refused({0x02}));
    EXPECT_TRUE(refused(Bytes(good.begin(), good.end() - 1)));
    Bytes longer = good;
    longer.push_back(0);
    EXPECT_TRUE(refused(longer));
    Bytes state = good;
    state[0] = 0x03;
    EXPECT_TRUE(refused(state));
    Bytes highest_unseen = good;
    highest_unseen[11] &= 0xfe;
    EXPECT_TRUE(refused(highest_unseen));

    ReplayWindow low;
    low.mark(5);
    Bytes below_zero = low.serialise();
    ASSERT_TRUE(ReplayWindow::parse(below_zero).ok());
    below_zero[11] |= 0x40;  // distance 6: sequence -1
    EXPECT_TRUE(refused(below_zero));
}


// Gap reports -------------------------------------------------------------------------------

using Ranges = std::vector<SequenceRange>;

TEST(ReplayWindowGaps, NothingIsMissingWhenEverythingArrivesInOrder) {
    ReplayWindow w;
    for (std::uint64_t seq = 7; seq < 3000; ++seq) w.mark(seq);
    EXPECT_EQ(w.take_gaps(), Ranges{});  // and nothing below the first sequence counts
}

TEST(ReplayWindowGaps, ADroppedRunIsReportedOnceAndALateArrivalStillOpens) {
    ReplayWindow w;
    for (std::uint64_t seq : {0u, 1u, 2u, 5u, 6u, 9u}) w.mark(seq);
    EXPECT_EQ(w.take_gaps(), (Ranges{{3, 4}, {7, 8}}));
    EXPECT_EQ(w.take_gaps(), Ranges{});
    EXPECT_TRUE(w.check(4).ok());  // late, not lost: still accepted once
    w.mark(4);
    w.mark(11);
    EXPECT_EQ(w.take_gaps(), (Ranges{{10, 10}}));
}

TEST(ReplayWindowGaps, ReorderingFilledBeforeTheReportIsNotAGap) {
    ReplayWindow w;
    for (std::uint64_t seq : {10u, 13u, 12u, 11u, 14u}) w.mark(seq);
    EXPECT_EQ(w.take_gaps(), Ranges{});
}

TEST(ReplayWindowGaps, SequencesPushedOutOfTheWindowUnseenAreLostAtOnce) {
    ReplayWindow w;
    std::vector<SequenceRange> lost;
    w.mark(100, &lost);
    w.mark(102, &lost);  // 101 missing, still inside the window
    EXPECT_TRUE(lost.empty());
    w.mark(102 + ReplayWindow::kWindow - 1, &lost);  // 101 is now at distance 1024: out
    EXPECT_EQ(lost, (Ranges{{101, 101}}));
    lost.clear();
    // A jump far ahead: what was unreported in the window, then the never-windowed stretch.
    const std::uint64_t top = 102 + ReplayWindow::kWindow - 1;
    w.mark(top + 5000, &lost);
    EXPECT_EQ(lost, (Ranges{{103, top - 1}, {top + 1, top + 5000 - ReplayWindow::kWindow}}));
    // The rest of the gap is still inside the window and comes with the next report.
    EXPECT_EQ(w.take_gaps(), (Ranges{{top + 5000 - ReplayWindow::kWindow + 1, top + 4999}}));
}

TEST(ReplayWindowGaps, AlreadyReportedSequencesAreNotLostAgain) {
    ReplayWindow w;
    w.mark(0);
    w.mark(2);
    EXPECT_EQ(w.take_gaps(), (Ranges{{1, 1}}));
    std::vector<SequenceRange> lost;
    w.mark(5000, &lost);
    EXPECT_EQ(lost, (Ranges{{3, 5000 - ReplayWindow::kWindow}}));
}

TEST(ReplayWindowGaps, EverySequenceIsAccountedExactlyOnceAgainstAReferenceModel) {
    // Whatever the order, every sequence below the highest ends up either marked or reported
    // (as lost when it left the window, or as a gap), and none twice.
    enum : std::uint8_t { kUnseen, kMarked, kReported };
    std::mt19937_64 rng(20261123);
    for (int trial = 0; trial < 30; ++trial) {
        ReplayWindow w;
        std::vector<std::uint8_t> state;  // by sequence
        const auto at = [&](std::uint64_t seq) -> std::uint8_t& {
            if (seq >= state.size()) state.resize(seq + 4096, kUnseen);
            return state[seq];
        };
        std::uint64_t next = 1000;
        std::uint64_t first = 0;  // nothing below the first sequence marked is expected
        bool any = false;
        const auto report = [&](const std::vector<SequenceRange>& ranges) {
            for (const auto& r : ranges) {
                ASSERT_LE(r.first, r.last);
                for (std::uint64_t s = r.first; s <= r.last; ++s) {
                    ASSERT_EQ(at(s), kUnseen) << "reported after it was marked or reported: " << s;
                    at(s) = kReported;
                }
            }
        };
        for (int step = 0; step < 3000; ++step) {
            const std::uint64_t r = rng() % 100;
            std::uint64_t seq = next;
            if (r < 5) {
                seq = next + 1 + rng() % 3000;  // a drop, sometimes longer than the window
            } else if (r < 15 && next > 1020) {
                seq = next - 1 - rng() % 20;  // a late arrival
            }
            if (!w.check(seq).ok()) continue;
            std::vector<SequenceRange> lost;
            w.mark(seq, &lost);
            report(lost);
            if (!any) first = seq;
            any = true;
            at(seq) = kMarked;  // a late arrival after its report is accepted
            next = std::max(next, seq + 1);
            if (rng() % 50 == 0) report(w.take_gaps());
        }
        report(w.take_gaps());
        for (std::uint64_t s = first; s < next; ++s) {
            ASSERT_NE(at(s), kUnseen) << "trial " << trial << " seq " << s;
        }
    }
}

TEST(ReplayWindowGaps, UnreportedPositionsSurviveTheStore) {
    ReplayWindow w;
    for (std::uint64_t seq : {40u, 41u, 44u}) w.mark(seq);
    auto back = ReplayWindow::parse(w.serialise());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->take_gaps(), (Ranges{{42, 43}}));

    // A window stored before gap reports (state 0x01) reads back with nothing unreported.
    Bytes v1 = w.serialise();
    v1[0] = 0x01;
    v1.erase(v1.begin() + 9, v1.begin() + 11);
    auto old = ReplayWindow::parse(v1);
    ASSERT_TRUE(old.ok()) << old.error().message;
    EXPECT_EQ(old->take_gaps(), Ranges{});
    EXPECT_FALSE(old->check(44).ok());

    // Unreported positions outside the window, or below sequence 0, are refused.
    Bytes wide = w.serialise();
    wide[9] = 0x04;  // 1024
    EXPECT_FALSE(ReplayWindow::parse(wide).ok());
    ReplayWindow low;
    low.mark(3);
    Bytes below = low.serialise();
    below[10] = 4;  // four positions below sequence 3
    EXPECT_FALSE(ReplayWindow::parse(below).ok());
}

}  // namespace
}  // namespace twofold::member
