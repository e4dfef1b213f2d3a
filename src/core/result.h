// Result<T>: a value or an Error that names what was wrong.
//
// Errors that are part of the protocol (bad input, failed authentication, stale epochs) are
// values, not exceptions: every caller sees them in the signature and must decide what to do.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace twofold {

// The kinds of failure a peer or a caller can be told about. The message says the rest.
enum class Errc {
    invalid_argument,  // a caller passed a value outside the documented domain
    malformed,         // bytes that do not parse as what they claim to be
    too_large,         // a length above the configured or protocol maximum
    truncated,         // input ended before a complete item
    auth_failed,       // AEAD tag, MAC or signature did not verify
    stale_epoch,       // an epoch the receiver has already passed
    unknown,           // a referenced group, member, node or key that is not known
    forbidden,         // authenticated but not allowed
    rate_limited,      // too many requests or attempts; try again later
    conflict,          // already exists, already a member, lost a race
    timeout,           // a peer did not answer in time
    unavailable,       // a connection could not be made or was closed
    internal,          // a failure of the system underneath (allocation, RNG, storage)
};

const char* errc_name(Errc code) noexcept;

struct Error {
    Errc code;
    std::string message;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(v_); }
    const T& value() const& { assert(ok()); return std::get<0>(v_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { assert(!ok()); return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

// Result<void>: success, or an Error.
template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT(google-explicit-constructor)

    bool ok() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const { assert(failed_); return error_; }

  private:
    Error error_{Errc::internal, {}};
    bool failed_ = false;
};

using Status = Result<void>;

}  // namespace twofold
