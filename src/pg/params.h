// The parameters of one SQL statement ($1, $2 ...), each sent with its type and in binary (bytea
// and integers) or as text, never spliced into the SQL. Errors never quote them: a parameter may
// be a sealed secret or a password hash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"

namespace twofold::pg {

class Params {
  public:
    Params& int8(std::int64_t value);      // bigint
    Params& text(std::string_view value);  // text
    Params& bytea(ByteView value);         // bytea, sent as raw bytes
    Params& boolean(bool value);           // boolean
    Params& null();                        // NULL of an unspecified type

    int size() const { return static_cast<int>(values_.size()); }
    bool empty() const { return values_.empty(); }

    // For the engine (connection.cpp): libpq's parallel arrays.
    const std::vector<std::uint32_t>& types() const { return types_; }
    std::vector<const char*> values() const;
    std::vector<int> lengths() const;
    std::vector<int> formats() const { return formats_; }

  private:
    void push(std::uint32_t type, std::string value, int format, bool is_null = false);
    std::vector<std::uint32_t> types_;
    std::vector<std::string> values_;
    std::vector<bool> nulls_;
    std::vector<int> formats_;
};

}  // namespace twofold::pg
