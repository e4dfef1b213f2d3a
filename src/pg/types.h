// Type OIDs from PostgreSQL's catalog (src/include/catalog/pg_type.dat): stable across versions.
#pragma once

#include <cstdint>

namespace twofold::pg {

inline constexpr std::uint32_t kBoolOid = 16;
inline constexpr std::uint32_t kByteaOid = 17;
inline constexpr std::uint32_t kInt8Oid = 20;
inline constexpr std::uint32_t kInt2Oid = 21;
inline constexpr std::uint32_t kInt4Oid = 23;
inline constexpr std::uint32_t kTextOid = 25;
inline constexpr std::uint32_t kVarcharOid = 1043;

}  // namespace twofold::pg
