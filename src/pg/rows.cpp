#include "pg/rows.h"

#include "pg/types.h"

namespace twofold::pg {

namespace {

bool is_a(std::uint32_t oid, Type type) {
    switch (type) {
        case Type::integer: return oid == kInt8Oid || oid == kInt4Oid || oid == kInt2Oid || oid == kBoolOid;
        case Type::text: return oid == kTextOid || oid == kVarcharOid;
        case Type::bytea: return oid == kByteaOid;
    }
    return false;
}

const char* type_name(Type type) {
    switch (type) {
        case Type::integer: return "an integer";
        case Type::text: return "text";
        case Type::bytea: return "a bytea";
    }
    return "?";
}

}  // namespace

Status Rows::expect(std::initializer_list<Type> types) const {
    if (types.size() != columns_.size()) {
        return make_error(Errc::malformed, "postgresql: " + std::to_string(columns_.size()) + " columns where " +
                                               std::to_string(types.size()) + " were expected");
    }
    int i = 0;
    for (Type t : types) {
        const Column& c = columns_[static_cast<std::size_t>(i)];
        if (!is_a(c.oid, t)) return make_error(Errc::malformed, "postgresql: column " + c.name + " is not " + type_name(t));
        for (std::size_t r = 0; r < size(); ++r) {
            const auto& v = cells_[r * columns_.size() + static_cast<std::size_t>(i)];
            if (!v) return make_error(Errc::malformed, "postgresql: column " + c.name + " is NULL");
            // Binary integers are exactly their type's width.
            const std::size_t width = c.oid == kInt8Oid ? 8 : c.oid == kInt4Oid ? 4 : c.oid == kInt2Oid ? 2 : 1;
            if (t == Type::integer && v->size() != width) {
                return make_error(Errc::malformed, "postgresql: column " + c.name + " has a bad binary width");
            }
        }
        ++i;
    }
    return {};
}

const Bytes& Rows::cell(std::size_t row, int column) const {
    static const Bytes kNone;
    if (column < 0 || static_cast<std::size_t>(column) >= columns_.size() || row >= size()) return kNone;
    const auto& v = cells_[row * columns_.size() + static_cast<std::size_t>(column)];
    return v ? *v : kNone;
}

std::int64_t Rows::integer(std::size_t row, int column) const {
    const Bytes& b = cell(row, column);
    if (b.empty()) return 0;
    std::uint64_t v = 0;
    for (std::uint8_t c : b) v = (v << 8) | c;
    const unsigned bits = static_cast<unsigned>(b.size()) * 8;
    if (bits < 64 && (v >> (bits - 1)) != 0 && b.size() > 1) v |= ~std::uint64_t{0} << bits;  // sign-extend
    return static_cast<std::int64_t>(v);
}

std::string Rows::text(std::size_t row, int column) const {
    const Bytes& b = cell(row, column);
    return std::string(b.begin(), b.end());
}

Bytes Rows::bytes(std::size_t row, int column) const { return cell(row, column); }

}  // namespace twofold::pg
