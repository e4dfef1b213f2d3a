// The string utilities of CPace (draft-irtf-cfrg-cpace, "CPace function definitions"):
// prepend_len (LEB128 length prefix), lv_cat (prefix-free concatenation), o_cat (ordered
// concatenation) and the generator string. Prefix-free so that no two inputs share an encoding.
#pragma once

#include <initializer_list>

#include "crypto/bytes.h"
#include "crypto/secret.h"

namespace twofold::handshake {

// SHA-512's input block: the generator string pads DSI and PRS to fill the first block.
inline constexpr std::size_t kCpaceHashBlockBytes = 128;

void cpace_append_prepend_len(Bytes& out, ByteView data);
Bytes cpace_lv_cat(std::initializer_list<ByteView> parts);
// b"oc" || the lexicographically larger string || the other.
Bytes cpace_o_cat(ByteView a, ByteView b);
// lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid): holds the password, so it is secret.
crypto::SecretBuffer cpace_generator_string(ByteView dsi, ByteView prs, ByteView ci, ByteView sid);

}  // namespace twofold::handshake
