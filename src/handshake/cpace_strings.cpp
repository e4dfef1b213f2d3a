#include "handshake/cpace_strings.h"

#include <algorithm>

namespace twofold::handshake {

namespace {

std::size_t leb128_size(std::size_t length) noexcept {
    std::size_t n = 1;
    while (length >= 128) {
        length >>= 7;
        ++n;
    }
    return n;
}

// Writes prepend_len(data) at out; returns the bytes written.
std::size_t write_prepend_len(std::uint8_t* out, ByteView data) noexcept {
    std::size_t at = 0;
    std::size_t length = data.size();
    do {
        out[at++] = static_cast<std::uint8_t>(length < 128 ? length : (length & 0x7f) | 0x80);
        length >>= 7;
    } while (length != 0);
    std::copy(data.begin(), data.end(), out + at);
    return at + data.size();
}

bool lexicographically_larger(ByteView a, ByteView b) noexcept {
    const std::size_t common = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < common; ++i) {
        if (a[i] != b[i]) return a[i] > b[i];
    }
    return a.size() > b.size();
}

}  // namespace

void cpace_append_prepend_len(Bytes& out, ByteView data) {
    const std::size_t at = out.size();
    out.resize(at + leb128_size(data.size()) + data.size());
    write_prepend_len(out.data() + at, data);
}

Bytes cpace_lv_cat(std::initializer_list<ByteView> parts) {
    Bytes out;
    for (ByteView part : parts) cpace_append_prepend_len(out, part);
    return out;
}

Bytes cpace_o_cat(ByteView a, ByteView b) {
    // Sized once and filled in place: GCC 12 at -O3 misreads a vector growing from a 2-byte
    // initialiser as an out-of-bounds copy (-Warray-bounds).
    const bool a_first = lexicographically_larger(a, b);
    const ByteView first = a_first ? a : b;
    const ByteView second = a_first ? b : a;
    Bytes out(2 + first.size() + second.size());
    out[0] = 'o';
    out[1] = 'c';
    std::copy(first.begin(), first.end(), out.begin() + 2);
    std::copy(second.begin(), second.end(), out.begin() + 2 + static_cast<std::ptrdiff_t>(first.size()));
    return out;
}

crypto::SecretBuffer cpace_generator_string(ByteView dsi, ByteView prs, ByteView ci, ByteView sid) {
    const std::size_t dsi_field = leb128_size(dsi.size()) + dsi.size();
    const std::size_t prs_field = leb128_size(prs.size()) + prs.size();
    const std::size_t used = dsi_field + prs_field + 1;
    const std::size_t zpad = used < kCpaceHashBlockBytes ? kCpaceHashBlockBytes - used : 0;
    const Bytes zeros(zpad, 0);
    const std::size_t total = dsi_field + prs_field + leb128_size(zpad) + zpad + leb128_size(ci.size()) + ci.size() +
                              leb128_size(sid.size()) + sid.size();
    // Written straight into secure memory: the PRS never sits in an ordinary buffer.
    crypto::SecretBuffer out(total);
    std::uint8_t* p = out.mutable_span().data();
    for (ByteView part : {dsi, prs, ByteView(zeros), ci, sid}) p += write_prepend_len(p, part);
    return out;
}

}  // namespace twofold::handshake
