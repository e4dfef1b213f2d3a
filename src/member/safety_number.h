// The safety number people compare aloud to check an identity key out of band: 30 decimal
// digits in six groups of five, after Signal's displayable fingerprints. Each group is five bytes
// of SHA-256("twofold/v1 safety number" ‖ 0x00 ‖ identity key), big-endian, modulo 100000.
// 30 digits carry about 100 bits, beyond reach of a search for a colliding key.
#pragma once

#include <string>

#include "crypto/sign.h"

namespace twofold::member {

std::string safety_number(const crypto::SignPublicKey& identity_key);

}  // namespace twofold::member
