// Short-lived TURN credentials in the "TURN REST API" scheme (draft-uberti-behave-turn-rest-00),
// the one coturn checks with `use-auth-secret` / `static-auth-secret`:
//
//     username = "<expiry, unix seconds>:<user>"
//     password = base64(HMAC-SHA1(shared secret, username))
//
// coturn recomputes the password from the username and refuses it once the expiry has passed.
// HMAC-SHA1 because the interoperation fixes it (coturn's default); through OpenSSL's libcrypto.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/bytes.h"

namespace twofold::crypto {

struct TurnRestCredentials {
    std::string username;
    std::string password;  // a credential: never logged
    std::uint64_t expiry_unix = 0;
};

// `secret` is the shared secret exactly as coturn's static-auth-secret holds it (its bytes).
TurnRestCredentials turn_rest_credentials(ByteView secret, std::string_view user, std::uint64_t expiry_unix);

}  // namespace twofold::crypto
