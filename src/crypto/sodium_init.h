// libsodium must be initialised once before use; every entry point of crypto/ calls this.
#pragma once

namespace twofold::crypto {

// Thread-safe and cheap after the first call. Aborts if libsodium cannot initialise, since no
// cryptography is safe to run then (for example, no usable source of randomness).
void ensure_sodium_initialised();

}  // namespace twofold::crypto
