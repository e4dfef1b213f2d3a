#include "crypto/random.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace twofold::crypto {

void random_fill(MutableByteView out) noexcept {
    ensure_sodium_initialised();
    randombytes_buf(out.data(), out.size());
}

}  // namespace twofold::crypto
