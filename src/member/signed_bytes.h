// The canonical encoding every member-to-member signed message uses (docs/member.md): a label,
// 0x00, then each field as these helpers write it, and the checks their verifiers share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/sign.h"
#include "twofold/v1/common.pb.h"

namespace twofold::member {

// Variable fields carry a length, so no two messages share an encoding.
class SignedBytes {
  public:
    explicit SignedBytes(std::string_view label) : out_(label.begin(), label.end()) { out_.push_back(0x00); }
    SignedBytes& fixed(std::string_view field) {
        append(out_, as_bytes(field));
        return *this;
    }
    SignedBytes& variable(std::string_view field) {
        u64(field.size());
        return fixed(field);
    }
    SignedBytes& u64(std::uint64_t v) {
        for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(v >> shift));
        return *this;
    }
    SignedBytes& rights(const v1::Rights& r) {
        out_.push_back(static_cast<std::uint8_t>((r.may_invite() ? 1 : 0) | (r.may_remove() ? 2 : 0)));
        return *this;
    }
    const Bytes& bytes() const noexcept { return out_; }

  private:
    Bytes out_;
};

std::string sign(const crypto::SigningKey& key, const SignedBytes& b);

// "WHAT must be N bytes, not M"
Status check_size(std::string_view what, const std::string& field, std::size_t size);
// "WHAT must be 1-64 bytes"
Status check_account(std::string_view what, const std::string& account);
// "WHAT signature does not verify"
Status check_signature(std::string_view what, const std::string& key, const SignedBytes& b,
                       const std::string& signature);

}  // namespace twofold::member
