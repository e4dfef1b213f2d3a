// Loading the vector files in tests/vectors (JSON, read with nlohmann_json).
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "crypto/bytes.h"
#include "crypto/hex.h"

namespace twofold::crypto::testing {

inline nlohmann::json load_vectors(const std::string& relative) {
    std::ifstream in(std::string(TWOFOLD_VECTORS_DIR) + "/" + relative);
    EXPECT_TRUE(in.good()) << "missing vector file " << relative;
    return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/true);
}

inline Bytes hex(const nlohmann::json& v) {
    auto r = from_hex(v.get<std::string>(), "vector");
    EXPECT_TRUE(r.ok()) << v;
    return r.ok() ? *r : Bytes{};
}

inline std::string hex_of(ByteView b) { return to_hex(b); }

}  // namespace twofold::crypto::testing
