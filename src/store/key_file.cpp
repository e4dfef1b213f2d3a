#include "store/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/random.h"

namespace twofold::store {

namespace {

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

Error io_error(const std::filesystem::path& path, const char* what) {
    return make_error(Errc::unavailable, "cannot " + std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Result<crypto::SecretBuffer> load_or_create_key_file(const std::filesystem::path& path, std::size_t size) {
    crypto::SecretBuffer key(size);
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd >= 0) {
        struct stat st {};
        if (::fstat(f.fd, &st) != 0) return io_error(path, "stat");
        if (static_cast<std::size_t>(st.st_size) != size) {
            return make_error(Errc::malformed, path.string() + " holds " + std::to_string(st.st_size) +
                                                   " bytes; a key file must hold exactly " + std::to_string(size));
        }
        if (::read(f.fd, key.mutable_span().data(), size) != static_cast<ssize_t>(size)) return io_error(path, "read");
        return key;
    }
    if (errno != ENOENT) return io_error(path, "open");
    crypto::random_fill(key.mutable_span());
    if (auto s = write_key_file(path, key.span()); !s) return s.error();
    return key;
}

Status write_key_file(const std::filesystem::path& path, ByteView bytes) {
    // Written to a temporary name and renamed, so a crash never leaves a short key file behind.
    const auto tmp = std::filesystem::path(path.string() + ".tmp");
    ::unlink(tmp.c_str());
    Fd out{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (out.fd < 0) return io_error(tmp, "create");
    if (::write(out.fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) || ::fsync(out.fd) != 0) {
        return io_error(tmp, "write");
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error(path, "rename to");
    Fd dir{::open(path.parent_path().empty() ? "." : path.parent_path().c_str(), O_RDONLY | O_DIRECTORY)};
    if (dir.fd >= 0) ::fsync(dir.fd);
    return {};
}

}  // namespace twofold::store
