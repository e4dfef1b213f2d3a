// Noise SymmetricState (revision 34, section 5.2): the chaining key ck, the handshake hash h and
// the CipherState they key, for HASH = BLAKE2b and CIPHER = ChaChaPoly.
#pragma once

#include <string_view>

#include "handshake/noise_cipher_state.h"
#include "handshake/noise_hash.h"

namespace twofold::handshake {

struct NoiseCipherPair {
    NoiseCipherState first;   // initiator -> responder
    NoiseCipherState second;  // responder -> initiator
};

class NoiseSymmetricState {
  public:
    // InitializeSymmetric(protocol_name): h = name zero-padded (names up to 64 bytes), ck = h.
    explicit NoiseSymmetricState(std::string_view protocol_name);

    void mix_key(ByteView input_key_material);
    void mix_hash(ByteView data);
    void mix_key_and_hash(ByteView input_key_material);
    Result<Bytes> encrypt_and_hash(ByteView plaintext);
    Result<crypto::SecretBuffer> decrypt_and_hash(ByteView ciphertext);
    NoiseCipherPair split();

    const NoiseHash& handshake_hash() const noexcept { return h_; }
    bool has_key() const noexcept { return cipher_.has_key(); }

  private:
    NoiseCipherState cipher_;
    NoiseChainingKey ck_;
    NoiseHash h_{};
};

}  // namespace twofold::handshake
