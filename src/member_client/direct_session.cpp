#include "member_client/direct_session.h"

#include "ice/servers.h"

namespace twofold::member_client {

void report(const DirectOptions& options, const std::string& stage, const std::string& detail) {
    if (options.progress) options.progress(DirectProgress{stage, detail});
}

Result<std::unique_ptr<ice::Agent>> make_agent(ice::Role role, const std::optional<v1::TurnCredentials>& turn,
                                               const DirectOptions& options) {
    ice::Config config;
    config.role = role;
    if (turn) {
        std::vector<std::string> urls(turn->turn_servers().begin(), turn->turn_servers().end());
        auto servers = ice::servers_from(urls, turn->stun_server(), turn->username(), turn->password());
        if (!servers) return servers.error();
        config.servers = std::move(*servers);
    }
    config.servers.loopback_only = options.loopback_only;
    config.progress = [options](const ice::Progress& p) {
        static constexpr const char* kStages[] = {"gathering", "gathered", "checking", "connected", "failed"};
        report(options, kStages[static_cast<int>(p.stage)], p.detail);
    };
    return ice::Agent::create(std::move(config));
}

v1::DirectIce to_proto(const ice::Description& d) {
    v1::DirectIce out;
    out.set_ufrag(d.ufrag);
    out.set_pwd(d.pwd);
    for (const auto& c : d.candidates) out.add_candidates(c);
    return out;
}

ice::Description from_proto(const v1::DirectIce& d) {
    return ice::Description{d.ufrag(), d.pwd(), {d.candidates().begin(), d.candidates().end()}};
}

Status IceStream::send(ByteView bytes, std::chrono::milliseconds timeout) { return agent_.send(bytes, timeout); }

Result<Bytes> IceStream::receive(std::size_t max, std::chrono::milliseconds timeout) {
    auto got = agent_.receive(max, timeout);
    if (!got) return got.error();
    return Bytes(got->begin(), got->end());
}

namespace {

Result<Bytes> next_noise_frame(FramedStream& stream) {
    auto frame = stream.receive(kDirectStepTimeout);
    if (!frame) return frame.error();
    if (frame->kind == DirectFrameKind::ended) {
        return make_error(Errc::auth_failed, std::string(frame->body.begin(), frame->body.end()));
    }
    return std::move(frame->body);
}

}  // namespace

Status run_handshake(member::DirectChannel& channel, FramedStream& stream, bool invitee) {
    if (invitee) {
        auto first = channel.start();
        if (!first) return first.error();
        if (auto s = stream.send(DirectFrameKind::noise, *first, kDirectStepTimeout); !s) return s;
    }
    while (!channel.established()) {
        auto in = next_noise_frame(stream);
        if (!in) return in.error();
        auto reply = channel.on_handshake(*in);
        if (!reply) return reply.error();
        if (*reply) {
            if (auto s = stream.send(DirectFrameKind::noise, **reply, kDirectStepTimeout); !s) return s;
        }
    }
    return {};
}

Status send_message(member::DirectChannel& channel, FramedStream& stream, const v1::DirectChannelMessage& m) {
    auto sealed = channel.seal(m);
    if (!sealed) return sealed.error();
    return stream.send(DirectFrameKind::noise, *sealed, kDirectStepTimeout);
}

Result<v1::DirectChannelMessage> receive_message(member::DirectChannel& channel, FramedStream& stream) {
    auto in = next_noise_frame(stream);
    if (!in) return in.error();
    return channel.open(*in);
}

}  // namespace twofold::member_client
