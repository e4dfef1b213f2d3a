// The rows a query returned, copied out of libpq's result (binary format) so no libpq type
// reaches the caller. A reader first says which column types it expects (expect): a schema that
// does not match what the code reads is an error naming the column, never a misread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "crypto/bytes.h"

namespace twofold::pg {

enum class Type { integer, text, bytea };  // integer: smallint, integer, bigint or boolean

class Rows {
  public:
    struct Column {
        std::string name;
        std::uint32_t oid;  // PostgreSQL type OID
    };

    Rows() = default;
    Rows(std::vector<Column> columns, std::vector<std::optional<Bytes>> cells, std::int64_t affected)
        : columns_(std::move(columns)), cells_(std::move(cells)), affected_(affected) {}

    std::size_t size() const { return columns_.empty() ? 0 : cells_.size() / columns_.size(); }
    bool empty() const { return size() == 0; }
    std::int64_t affected() const { return affected_; }  // rows an INSERT/UPDATE/DELETE changed

    // The columns are these types, in this order, and none is NULL in any row.
    Status expect(std::initializer_list<Type> types) const;

    // After expect(): the value of a cell.
    std::int64_t integer(std::size_t row, int column) const;
    std::string text(std::size_t row, int column) const;
    Bytes bytes(std::size_t row, int column) const;

  private:
    const Bytes& cell(std::size_t row, int column) const;
    std::vector<Column> columns_;
    std::vector<std::optional<Bytes>> cells_;  // row-major
    std::int64_t affected_ = 0;
};

}  // namespace twofold::pg
