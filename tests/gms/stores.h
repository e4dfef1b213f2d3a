// The GMS suites run against both stores: a value-parametrised fixture takes a StoreKind, and
// each PostgreSQL case gets a fresh database on the test process's private server
// (tests/support/postgres.h).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "support/postgres.h"

namespace twofold::gms::testing {

enum class StoreKind { sqlite, postgresql };

inline std::string store_name(const ::testing::TestParamInfo<StoreKind>& info) {
    return info.param == StoreKind::sqlite ? "sqlite" : "postgresql";
}

// ServiceOptions::store for the kind: "" (SQLite in the data directory) or a new database's URL.
inline std::string new_store(StoreKind kind) {
    return kind == StoreKind::sqlite ? std::string() : twofold::testing::fresh_database_url();
}

}  // namespace twofold::gms::testing

// Every case of `suite` once per store: Stores/suite.Case/sqlite and .../postgresql.
#define TWOFOLD_ON_EVERY_STORE(suite)                                                                              \
    INSTANTIATE_TEST_SUITE_P(Stores, suite,                                                                        \
                             ::testing::Values(::twofold::gms::testing::StoreKind::sqlite,                         \
                                               ::twofold::gms::testing::StoreKind::postgresql),                    \
                             ::twofold::gms::testing::store_name)
