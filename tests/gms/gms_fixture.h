// A GMS on loopback in this process (real TLS, a real store: SQLite in a temporary directory or
// a fresh PostgreSQL database, the fixture's parameter), and members that talk to it through the
// blocking client.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "crypto/hex.h"
#include "crypto/random.h"
#include "crypto/sign.h"
#include "gms_client/client.h"
#include "gms_server/open_store.h"
#include "gms_server/service.h"
#include "stores.h"

namespace twofold::gms::testing {

using namespace std::chrono_literals;

struct Member {
    std::string name;
    crypto::SigningKey identity = crypto::SigningKey::generate();
    std::unique_ptr<GmsClient> client;
};

class GmsFixture : public ::testing::TestWithParam<StoreKind> {
  protected:
    void SetUp() override {
        store_ = new_store(GetParam());
        std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        std::replace(name.begin(), name.end(), '/', '-');  // "Case/sqlite": one directory
        dir_ = std::filesystem::temp_directory_path() / ("twofold-gms-" + std::to_string(::getpid()) + "-" + name);
        std::filesystem::remove_all(dir_);
        start();
    }
    void TearDown() override {
        stop();
        std::filesystem::remove_all(dir_);
    }

    virtual ServiceOptions options() {
        ServiceOptions o;
        o.data_dir = dir_;
        o.store = store_;
        o.listen = net::Endpoint{"127.0.0.1", port_};
        o.password_limits = crypto::PwhashLimits::minimum();
        o.renewal_tick = 50ms;
        return o;
    }

    void start() {
        auto service = Service::open(options());
        ASSERT_TRUE(service.ok()) << service.error().message;
        service_ = std::move(*service);
        const Status bound = service_->bind();
        ASSERT_TRUE(bound.ok()) << bound.error().message;
        port_ = service_->bound_port();
        thread_ = std::thread([this] { (void)service_->run(); });
    }
    void stop() {
        if (!service_) return;
        service_->stop();
        thread_.join();
        service_.reset();
    }

    net::Endpoint endpoint() const { return {"127.0.0.1", port_}; }
    const Identity& identity() const { return service_->identity(); }
    crypto::SignPublicKey gms_key() const {
        crypto::SignPublicKey k{};
        (void)crypto::from_hex(identity().signing_key_hex, k, "signing key");
        return k;
    }

    std::unique_ptr<GmsClient> connect() {
        auto c = GmsClient::connect(endpoint(), identity().tls_fingerprint);
        EXPECT_TRUE(c.ok()) << c.error().message;
        return c.ok() ? std::move(*c) : nullptr;
    }

    // Registers and logs in a new member.
    Member member(const std::string& name) {
        Member m;
        m.name = name;
        m.client = connect();
        const Status reg = m.client->register_account(name, "password-" + name, m.identity.public_key());
        EXPECT_TRUE(reg.ok()) << reg.error().message;
        auto login = m.client->login(name, "password-" + name);
        EXPECT_TRUE(login.ok()) << login.error().message;
        return m;
    }

    static Bytes new_group_id() {
        const auto id = crypto::random_array<16>();
        return Bytes(id.begin(), id.end());
    }

    std::filesystem::path dir_;
    std::string store_;  // ServiceOptions::store: "" for SQLite in dir_
    std::uint16_t port_ = 0;
    std::unique_ptr<Service> service_;
    std::thread thread_;
};

}  // namespace twofold::gms::testing
