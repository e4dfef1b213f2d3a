#include "pg/params.h"

#include "pg/types.h"

namespace twofold::pg {

namespace {

constexpr int kTextFormat = 0;
constexpr int kBinaryFormat = 1;

}  // namespace

void Params::push(std::uint32_t type, std::string value, int format, bool is_null) {
    types_.push_back(type);
    values_.push_back(std::move(value));
    nulls_.push_back(is_null);
    formats_.push_back(format);
}

Params& Params::int8(std::int64_t value) {
    std::string be(8, '\0');  // binary int8: network byte order
    const auto u = static_cast<std::uint64_t>(value);
    for (int i = 0; i < 8; ++i) be[static_cast<std::size_t>(i)] = static_cast<char>(u >> (56 - 8 * i));
    push(kInt8Oid, std::move(be), kBinaryFormat);
    return *this;
}

Params& Params::text(std::string_view value) {
    push(kTextOid, std::string(value), kTextFormat);
    return *this;
}

Params& Params::bytea(ByteView value) {
    push(kByteaOid, as_string(value), kBinaryFormat);
    return *this;
}

Params& Params::boolean(bool value) {
    push(kBoolOid, std::string(1, value ? '\1' : '\0'), kBinaryFormat);
    return *this;
}

Params& Params::null() {
    push(0, {}, kTextFormat, true);
    return *this;
}

std::vector<const char*> Params::values() const {
    std::vector<const char*> out;
    for (std::size_t i = 0; i < values_.size(); ++i) out.push_back(nulls_[i] ? nullptr : values_[i].data());
    return out;
}

std::vector<int> Params::lengths() const {
    std::vector<int> out;
    for (const std::string& v : values_) out.push_back(static_cast<int>(v.size()));
    return out;
}

}  // namespace twofold::pg
