// Secret byte strings: held in libsodium secure memory (guarded pages, mlock'd where the system
// allows, excluded from core dumps on Linux) and wiped on destruction.
//
// A Secret cannot be printed: operator<< is deleted and no formatter exists, so a secret that
// reaches a log statement is a compile error. Copies are explicit (clone()).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>

#include "crypto/bytes.h"

namespace twofold::crypto {

// Raw secure allocation, for the few places (containers) that need it directly.
void* secure_alloc(std::size_t size);  // never returns null: aborts when memory is exhausted
void secure_free(void* p) noexcept;    // wipes and releases; null is allowed
void wipe(MutableByteView bytes) noexcept;

// Constant-time equality of two byte strings; strings of different lengths are unequal.
bool equal_constant_time(ByteView a, ByteView b) noexcept;

// A fixed-size secret. Tag makes distinct kinds of secret distinct types (an Rn1 is not an Rn2).
template <std::size_t N, class Tag>
class Secret {
  public:
    static constexpr std::size_t size_bytes = N;

    Secret() : p_(static_cast<std::uint8_t*>(secure_alloc(N))) {}  // zero-filled
    Secret(Secret&& other) noexcept : p_(other.p_) { other.p_ = nullptr; }
    Secret& operator=(Secret&& other) noexcept {
        if (this != &other) {
            secure_free(p_);
            p_ = other.p_;
            other.p_ = nullptr;
        }
        return *this;
    }
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    ~Secret() { secure_free(p_); }

    // Builds a secret from bytes the caller is responsible for wiping; size must equal N.
    static Secret copy_of(std::span<const std::uint8_t, N> bytes) {
        Secret s;
        std::copy(bytes.begin(), bytes.end(), s.p_);
        return s;
    }
    Secret clone() const { return copy_of(span()); }

    std::span<const std::uint8_t, N> span() const noexcept { return std::span<const std::uint8_t, N>(p_, N); }
    std::span<std::uint8_t, N> mutable_span() noexcept { return std::span<std::uint8_t, N>(p_, N); }
    const std::uint8_t* data() const noexcept { return p_; }
    static constexpr std::size_t size() noexcept { return N; }

    friend bool operator==(const Secret& a, const Secret& b) noexcept {
        return equal_constant_time(a.span(), b.span());
    }
    friend std::ostream& operator<<(std::ostream&, const Secret&) = delete;

  private:
    std::uint8_t* p_;  // null only after a move
};

// A variable-length secret (a sealed payload once opened, a passphrase).
class SecretBuffer {
  public:
    SecretBuffer() = default;
    explicit SecretBuffer(std::size_t size);
    static SecretBuffer copy_of(ByteView bytes);
    SecretBuffer(SecretBuffer&& other) noexcept;
    SecretBuffer& operator=(SecretBuffer&& other) noexcept;
    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;
    ~SecretBuffer();

    ByteView span() const noexcept { return {p_, size_}; }
    MutableByteView mutable_span() noexcept { return {p_, size_}; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    // Sets the size, keeping the allocation when it is large enough (bytes past the new size
    // are wiped). A buffer reused this way costs no system calls on a hot path; a fresh secure
    // allocation costs several (mmap, mprotect, mlock, and a TLB shootdown when freed).
    void resize(std::size_t size);

    friend std::ostream& operator<<(std::ostream&, const SecretBuffer&) = delete;

  private:
    std::uint8_t* p_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

// A standard allocator over secure memory, for containers of key material (an LKH tree's keys).
// Each allocation costs a few pages and syscalls, so use it for few, large allocations.
template <class T>
struct SecureAllocator {
    using value_type = T;
    SecureAllocator() noexcept = default;
    template <class U>
    SecureAllocator(const SecureAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
    T* allocate(std::size_t n) { return static_cast<T*>(secure_alloc(n * sizeof(T))); }
    void deallocate(T* p, std::size_t) noexcept { secure_free(p); }
    template <class U>
    bool operator==(const SecureAllocator<U>&) const noexcept { return true; }
};

}  // namespace twofold::crypto
