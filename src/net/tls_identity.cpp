#include "net/tls_identity.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <memory>

#include "crypto/hex.h"
#include "crypto/sha256.h"

namespace twofold::net {

namespace {

struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

constexpr long kValiditySeconds = 20L * 365 * 24 * 3600;

Error openssl_error(const std::string& what) { return make_error(Errc::internal, "tls identity: " + what); }

Result<Cert> read_certificate(const std::filesystem::path& path) {
    File f(std::fopen(path.c_str(), "rb"));
    if (!f) return make_error(Errc::unavailable, "cannot open certificate " + path.string());
    Cert cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr), X509_free);
    if (!cert) return make_error(Errc::malformed, "certificate " + path.string() + " is not PEM X.509");
    return cert;
}

Status create_identity(const std::filesystem::path& cert_path, const std::filesystem::path& key_path,
                       const std::string& common_name) {
    Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free);
    if (!key) return openssl_error("key generation failed");
    Cert cert(X509_new(), X509_free);
    if (!cert) return openssl_error("out of memory");
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) return openssl_error("no randomness for the serial");
    serial[0] &= 0x7f;  // a positive serial
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    const bool ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr &&
                    X509_set_version(cert.get(), 2) == 1 &&
                    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
                    X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) != nullptr &&
                    X509_set_pubkey(cert.get(), key.get()) == 1;
    BN_free(bn);
    if (!ok) return openssl_error("certificate fields");
    X509_NAME* name = X509_get_subject_name(cert.get());
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) != 1 ||
        X509_set_issuer_name(cert.get(), name) != 1 || X509_sign(cert.get(), key.get(), nullptr) == 0) {
        return openssl_error("self-signing failed");
    }
    // The key file is created 0600 before a byte is written to it.
    const int fd = ::open(key_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return make_error(Errc::unavailable, "cannot create " + key_path.string());
    File key_file(fdopen(fd, "wb"));
    if (!key_file || PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
        std::fflush(key_file.get()) != 0 || fsync(fileno(key_file.get())) != 0) {
        return make_error(Errc::unavailable, "cannot write " + key_path.string());
    }
    File cert_file(std::fopen(cert_path.c_str(), "wbx"));
    if (!cert_file || PEM_write_X509(cert_file.get(), cert.get()) != 1 || std::fflush(cert_file.get()) != 0 ||
        fsync(fileno(cert_file.get())) != 0) {
        return make_error(Errc::unavailable, "cannot write " + cert_path.string());
    }
    return {};
}

}  // namespace

Result<std::string> certificate_fingerprint(const std::filesystem::path& certificate_pem) {
    auto cert = read_certificate(certificate_pem);
    if (!cert) return cert.error();
    unsigned char* der = nullptr;
    const int len = i2d_X509(cert->get(), &der);
    if (len <= 0) return openssl_error("DER encoding failed");
    const auto digest = crypto::sha256(ByteView(der, static_cast<std::size_t>(len)));
    OPENSSL_free(der);
    return "sha256:" + crypto::to_hex(digest);
}

Result<std::string> normalise_fingerprint(std::string_view text, std::string_view what) {
    if (text.starts_with("sha256:")) text.remove_prefix(7);
    std::string hex;
    for (const char c : text) {
        if (c != ':') hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    FixedBytes<32> digest;
    if (auto s = crypto::from_hex(hex, digest, what); !s) return s.error();
    return "sha256:" + hex;
}

Result<TlsIdentity> load_or_create_tls_identity(const std::filesystem::path& dir, const std::string& common_name) {
    TlsIdentity id{dir / "tls-cert.pem", dir / "tls-key.pem", {}};
    std::error_code ec;
    const bool have_cert = std::filesystem::exists(id.certificate_path, ec);
    const bool have_key = std::filesystem::exists(id.private_key_path, ec);
    if (have_cert != have_key) {
        return make_error(Errc::malformed, "tls identity in " + dir.string() + " is incomplete: one of tls-cert.pem "
                                           "and tls-key.pem is missing");
    }
    if (!have_cert) {
        if (auto s = create_identity(id.certificate_path, id.private_key_path, common_name); !s) return s.error();
    }
    auto fp = certificate_fingerprint(id.certificate_path);
    if (!fp) return fp.error();
    id.fingerprint = std::move(*fp);
    return id;
}

}  // namespace twofold::net
