// A relay Service on loopback in a thread of the test, restartable on the same data directory.
#pragma once

#include <gtest/gtest.h>

#include <thread>

#include "harness.h"
#include "relay_client/client.h"
#include "relay_server/service.h"

namespace twofold::relay::testing {

class RelayFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
        options_.data_dir = dir_;
        options_.listen = net::Endpoint{"127.0.0.1", 0};
        options_.gms_key = gms_.key.public_key();
    }
    void TearDown() override {
        stop();
        std::filesystem::remove_all(dir_);
    }

    void start() {
        auto service = Service::open(options_);
        ASSERT_TRUE(service.ok()) << service.error().message;
        service_ = std::move(*service);
        ASSERT_TRUE(service_->bind().ok());
        options_.listen.port = service_->bound_port();  // a restart keeps the port
        thread_ = std::thread([this] { (void)service_->run(); });
    }
    void stop() {
        if (!service_) return;
        service_->stop();
        thread_.join();
        service_.reset();
    }

    std::unique_ptr<RelayClient> member(const crypto::SigningKey& key) {
        auto c = RelayClient::connect(options_.listen, service_->tls_fingerprint(), key);
        EXPECT_TRUE(c.ok()) << c.error().message;
        return c.ok() ? std::move(*c) : nullptr;
    }
    v1::MembershipStatement statement(const std::string& group, const crypto::SigningKey& key, std::uint64_t epoch = 1) {
        return gms_.statement(group, key, epoch, static_cast<std::uint64_t>(::time(nullptr)) + kHourSeconds);
    }

    FakeGms gms_;
    ServiceOptions options_;
    std::filesystem::path dir_;
    std::unique_ptr<Service> service_;
    std::thread thread_;
};

}  // namespace twofold::relay::testing
