#include "crypto/secret.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "crypto/sodium_init.h"

namespace twofold::crypto {

void* secure_alloc(std::size_t size) {
    ensure_sodium_initialised();
    // sodium_malloc(0) is valid but may return null; one byte keeps "never null" simple.
    void* p = sodium_malloc(size == 0 ? 1 : size);
    if (p == nullptr) {
        std::fputs("twofold: out of secure memory\n", stderr);
        std::abort();
    }
    sodium_memzero(p, size == 0 ? 1 : size);
    return p;
}

void secure_free(void* p) noexcept {
    if (p != nullptr) sodium_free(p);  // sodium_free wipes before releasing
}

void wipe(MutableByteView bytes) noexcept { sodium_memzero(bytes.data(), bytes.size()); }

bool equal_constant_time(ByteView a, ByteView b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

SecretBuffer::SecretBuffer(std::size_t size)
    : p_(static_cast<std::uint8_t*>(secure_alloc(size))), size_(size), capacity_(size) {}

void SecretBuffer::resize(std::size_t size) {
    if (size <= capacity_) {
        if (size < size_) sodium_memzero(p_ + size, size_ - size);
        size_ = size;
        return;
    }
    const std::size_t capacity = std::max(size, 2 * capacity_);
    auto* grown = static_cast<std::uint8_t*>(secure_alloc(capacity));
    if (size_ > 0) std::copy(p_, p_ + size_, grown);
    secure_free(p_);
    p_ = grown;
    size_ = size;
    capacity_ = capacity;
}

SecretBuffer SecretBuffer::copy_of(ByteView bytes) {
    SecretBuffer s(bytes.size());
    std::copy(bytes.begin(), bytes.end(), s.p_);
    return s;
}

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : p_(other.p_), size_(other.size_), capacity_(other.capacity_) {
    other.p_ = nullptr;
    other.size_ = 0;
    other.capacity_ = 0;
}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
    if (this != &other) {
        secure_free(p_);
        p_ = other.p_;
        size_ = other.size_;
        capacity_ = other.capacity_;
        other.p_ = nullptr;
        other.size_ = 0;
        other.capacity_ = 0;
    }
    return *this;
}

SecretBuffer::~SecretBuffer() { secure_free(p_); }

}  // namespace twofold::crypto
