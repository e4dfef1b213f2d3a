// PostgreSQL for GoogleTest suites: one private server per test process, started on first use
// (from a template cluster in the build directory, so a case that CTest runs as its own process
// pays for a copy, not an initdb), and a fresh database per test case, named after it.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <string>

#include "proc/postgres_server.h"

namespace twofold::testing {

// nullptr (and a test failure saying why) if the server cannot start.
inline proc::PostgresServer* shared_postgres() {
    static const auto server = [] {
        proc::PostgresServer::Options options;
#ifdef TWOFOLD_PG_TEMPLATE_DIR
        options.template_dir = TWOFOLD_PG_TEMPLATE_DIR;
#endif
        auto s = proc::PostgresServer::start(options);
        if (!s) {
            ADD_FAILURE() << "private PostgreSQL did not start: " << s.error().message;
            return std::unique_ptr<proc::PostgresServer>();
        }
        return std::make_unique<proc::PostgresServer>(std::move(*s));
    }();
    return server.get();
}

// A new database for the running test ("t_<suite>_<test>_<n>", lower case): its name.
inline std::string fresh_database() {
    proc::PostgresServer* server = shared_postgres();
    if (server == nullptr) return {};
    static int counter = 0;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "t_" + std::string(info->test_suite_name()) + "_" + info->name();
    for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
    name = name.substr(0, 50) + "_" + std::to_string(++counter);
    auto made = server->create_database(name);
    if (!made) {
        ADD_FAILURE() << made.error().message;
        return {};
    }
    return name;
}

// The same, as its libpq URL.
inline std::string fresh_database_url() {
    const std::string name = fresh_database();
    return name.empty() ? std::string() : shared_postgres()->url(name);
}

}  // namespace twofold::testing
