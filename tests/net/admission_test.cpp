// Connection slots in all and per source address, and the throttle on refusal log lines.
#include <gtest/gtest.h>

#include "net/admission.h"

namespace twofold::net {
namespace {

using namespace std::chrono_literals;

TEST(Admission, OneAddressCannotTakeMoreThanItsShare) {
    Admission a(10, 2);
    EXPECT_FALSE(a.admit("10.0.0.1"));
    EXPECT_FALSE(a.admit("10.0.0.1"));
    const auto refused = a.admit("10.0.0.1");
    ASSERT_TRUE(refused);
    EXPECT_NE(refused->find("2 connections open from 10.0.0.1"), std::string::npos) << *refused;
    EXPECT_NE(refused->find("max-connections-per-address"), std::string::npos) << *refused;
    EXPECT_FALSE(a.admit("10.0.0.2"));  // another host still gets in
    EXPECT_EQ(a.total(), 3u);
}

TEST(Admission, AReleasedSlotCanBeTakenAgain) {
    Admission a(10, 1);
    EXPECT_FALSE(a.admit("10.0.0.1"));
    EXPECT_TRUE(a.admit("10.0.0.1"));
    a.release("10.0.0.1");
    EXPECT_FALSE(a.admit("10.0.0.1"));
}

TEST(Admission, TheTotalCapHoldsAcrossAddresses) {
    Admission a(2, 5);
    EXPECT_FALSE(a.admit("10.0.0.1"));
    EXPECT_FALSE(a.admit("10.0.0.2"));
    const auto refused = a.admit("10.0.0.3");
    ASSERT_TRUE(refused);
    EXPECT_NE(refused->find("(max-connections)"), std::string::npos) << *refused;
    a.release("10.0.0.1");
    EXPECT_FALSE(a.admit("10.0.0.3"));
}

TEST(Admission, ReleasingAnUnknownAddressChangesNothing) {
    Admission a(1, 1);
    a.release("10.0.0.9");
    EXPECT_FALSE(a.admit("10.0.0.1"));
    EXPECT_TRUE(a.admit("10.0.0.2"));  // the total was not lowered below zero
}

TEST(LogThrottle, OneLinePerIntervalCountingTheRest) {
    LogThrottle t(10s);
    const auto t0 = LogThrottle::Clock::time_point{} + 100s;
    EXPECT_EQ(t.allow(t0), std::optional<std::size_t>(0));
    for (int i = 1; i <= 500; ++i) EXPECT_FALSE(t.allow(t0 + std::chrono::milliseconds(i)));
    EXPECT_EQ(t.allow(t0 + 10s), std::optional<std::size_t>(500));
    EXPECT_EQ(t.allow(t0 + 30s), std::optional<std::size_t>(0));
}

}  // namespace
}  // namespace twofold::net
