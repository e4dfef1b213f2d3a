// Several GMS endpoints for a member (gms_client/endpoints.h): the list's forms, and which
// fingerprint a standby's redirect is pinned to (threat model F4).
#include <gtest/gtest.h>

#include "gms_client/endpoints.h"

namespace twofold::gms {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');

TEST(GmsEndpoints, OneFingerprintForAllOrOneEach) {
    auto shared = parse_gms_endpoints("h1:7400,h2:7401", kA);
    ASSERT_TRUE(shared.ok()) << shared.error().message;
    ASSERT_EQ(shared->size(), 2u);
    EXPECT_EQ((*shared)[1].endpoint.to_string(), "h2:7401");
    EXPECT_EQ((*shared)[1].fingerprint, kA);
    auto each = parse_gms_endpoints("h1:7400,h2:7401", kA + "," + kB);
    ASSERT_TRUE(each.ok());
    EXPECT_EQ((*each)[1].fingerprint, kB);

    auto mismatch = parse_gms_endpoints("h1:7400,h2:7401,h3:7402", kA + "," + kB);
    ASSERT_FALSE(mismatch.ok());
    EXPECT_NE(mismatch.error().message.find("one fingerprint for every --gms endpoint (3)"), std::string::npos);
    EXPECT_FALSE(parse_gms_endpoints("h1:7400,h1:7400", kA).ok());  // twice
    EXPECT_FALSE(parse_gms_endpoints("h1:7400,", kA).ok());         // an empty entry
}

// A redirect is pinned to the fingerprint given for that endpoint, or the one all share; to a
// leader the member was never told about, with fingerprints that differ, it is not followed.
TEST(GmsEndpoints, ARedirectIsPinnedOnlyToAFingerprintTheMemberWasGiven) {
    auto each = parse_gms_endpoints("h1:7400,h2:7401", kA + "," + kB);
    ASSERT_TRUE(each.ok());
    EXPECT_EQ(fingerprint_for(*each, net::Endpoint{"h2", 7401}), kB);
    EXPECT_EQ(fingerprint_for(*each, net::Endpoint{"evil", 7400}), "");
    auto shared = parse_gms_endpoints("h1:7400,h2:7401", kA);
    ASSERT_TRUE(shared.ok());
    EXPECT_EQ(fingerprint_for(*shared, net::Endpoint{"h3", 7400}), kA);  // same identity, pinned
}

}  // namespace
}  // namespace twofold::gms
