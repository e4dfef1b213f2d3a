#include "net/tls_client.h"

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <optional>

#include "net/tls_context.h"

namespace twofold::net {

using tcp = asio::ip::tcp;

struct TlsClient::Impl {
    asio::io_context io{1};
    asio::ssl::context tls;
    asio::ssl::stream<tcp::socket> stream;
    wire::FrameDecoder decoder;
    bool open = false;

    Impl(asio::ssl::context ctx, std::size_t max_frame)
        : tls(std::move(ctx)), stream(io, tls), decoder(max_frame) {}

    // Runs the io_context until `done` or the deadline; on a deadline, cancels and reports timeout.
    Status run_until(const bool& done, std::chrono::milliseconds timeout, const char* what) {
        io.restart();
        io.run_for(timeout);
        if (done) return {};
        asio::error_code ec;
        stream.lowest_layer().cancel(ec);
        io.restart();
        io.run();  // let the cancelled handler run
        return make_error(Errc::timeout, std::string(what) + " timed out after " + std::to_string(timeout.count()) + " ms");
    }
};

TlsClient::TlsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsClient::~TlsClient() { close(); }

Result<std::unique_ptr<TlsClient>> TlsClient::connect(const Endpoint& server, const std::string& fingerprint,
                                                      ClientOptions options) {
    auto ctx = make_client_context(fingerprint);
    if (!ctx) return ctx.error();
    auto impl = std::make_unique<Impl>(std::move(*ctx), options.max_frame_bytes);

    asio::error_code ec;
    tcp::resolver resolver(impl->io);
    const auto endpoints = resolver.resolve(server.host, std::to_string(server.port), ec);
    if (ec) return make_error(Errc::unavailable, "cannot resolve " + server.host + ": " + ec.message());

    bool done = false;
    asio::error_code result;
    asio::async_connect(impl->stream.lowest_layer(), endpoints, [&](const asio::error_code& e, const tcp::endpoint&) {
        result = e;
        done = true;
    });
    if (auto s = impl->run_until(done, options.connect_timeout, "connect"); !s) return s.error();
    if (result) return make_error(Errc::unavailable, "cannot connect to " + server.to_string() + ": " + result.message());
    impl->stream.lowest_layer().set_option(tcp::no_delay(true), ec);

    done = false;
    impl->stream.async_handshake(asio::ssl::stream_base::client, [&](const asio::error_code& e) {
        result = e;
        done = true;
    });
    if (auto s = impl->run_until(done, options.connect_timeout, "TLS handshake"); !s) return s.error();
    if (result) {
        const bool pin_failed = result.category() == asio::error::get_ssl_category() &&
                                ERR_GET_REASON(result.value()) == SSL_R_CERTIFICATE_VERIFY_FAILED;
        if (pin_failed) {
            return make_error(Errc::auth_failed, "server " + server.to_string() +
                                                     " does not present the pinned certificate fingerprint");
        }
        return make_error(Errc::unavailable, "TLS handshake with " + server.to_string() + " failed: " + result.message());
    }
    impl->open = true;
    return std::unique_ptr<TlsClient>(new TlsClient(std::move(impl)));
}

Status TlsClient::send(ByteView payload) {
    auto frame = wire::encode_frame(payload, impl_->decoder.max_frame_bytes());
    if (!frame) return frame.error();
    return send_raw(*frame);
}

Status TlsClient::send_raw(ByteView bytes) {
    if (!impl_->open) return make_error(Errc::unavailable, "connection is closed");
    asio::error_code ec;
    asio::write(impl_->stream, asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec) {
        impl_->open = false;
        return make_error(Errc::unavailable, "send failed: " + ec.message());
    }
    return {};
}

Result<Bytes> TlsClient::receive(std::chrono::milliseconds timeout) {
    if (auto frame = impl_->decoder.next()) return std::move(*frame);
    if (!impl_->open) return make_error(Errc::unavailable, "connection is closed");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<std::uint8_t> buffer(std::size_t{16} * 1024);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return make_error(Errc::timeout, "no message within " + std::to_string(timeout.count()) + " ms");
        bool done = false;
        asio::error_code result;
        std::size_t n = 0;
        impl_->stream.async_read_some(asio::buffer(buffer), [&](const asio::error_code& e, std::size_t got) {
            result = e;
            n = got;
            done = true;
        });
        // A read that completed while the deadline's cancel was on its way still delivered its
        // bytes: they must reach the decoder, or a frame is lost.
        if (auto s = impl_->run_until(done, left, "receive"); !s && !(done && !result)) return s.error();
        if (result) {
            impl_->open = false;
            const Status end = impl_->decoder.finish();
            if (!end) return end.error();
            return make_error(Errc::unavailable, "server closed the connection");
        }
        if (auto s = impl_->decoder.feed(ByteView(buffer.data(), n)); !s) {
            impl_->open = false;
            return s.error();
        }
        if (auto frame = impl_->decoder.next()) return std::move(*frame);
    }
}

void TlsClient::close() {
    if (!impl_ || !impl_->open) return;
    impl_->open = false;
    asio::error_code ec;
    impl_->stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
    impl_->stream.lowest_layer().close(ec);
}

}  // namespace twofold::net
