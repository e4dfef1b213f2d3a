// A test that starts the real twofold-relay binary: a fresh data directory per test, a fake
// GMS key for its statements, the relay killed and its directory removed whatever happens.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "crypto/hex.h"
#include "harness.h"
#include "relay_client/client.h"
#include "relay_process.h"

namespace twofold::relay::testing {

class RelayBinaryTest : public ::testing::Test {
  protected:
    void SetUp() override { dir_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name()); }
    void TearDown() override {
        relay_.kill_now();
        std::filesystem::remove_all(dir_);
    }
    void start(std::vector<std::string> extra = {}) {
        auto s = relay_.start(dir_, crypto::to_hex(gms_.key.public_key()), std::move(extra));
        ASSERT_TRUE(s.ok()) << s.error().message;
    }
    std::unique_ptr<RelayClient> member(const crypto::SigningKey& key) {
        auto c = RelayClient::connect(relay_.endpoint, relay_.fingerprint, key);
        EXPECT_TRUE(c.ok()) << c.error().message;
        return c.ok() ? std::move(*c) : nullptr;
    }

    FakeGms gms_;
    RelayProcess relay_;
    std::filesystem::path dir_;
};

}  // namespace twofold::relay::testing
