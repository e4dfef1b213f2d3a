#include "crypto/sodium_init.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace twofold::crypto {

void ensure_sodium_initialised() {
    static const bool ready = [] {
        if (sodium_init() < 0) {
            std::fputs("twofold: libsodium failed to initialise\n", stderr);
            std::abort();
        }
        return true;
    }();
    (void)ready;
}

}  // namespace twofold::crypto
