// What both ends of the direct route share (docs/direct-route.md): an ICE agent made from the
// GMS's TURN credentials, its stream as a DirectStream, the conversions between the ICE layer's
// description and the signalling's, and the Noise handshake and messages over framed bytes.
// direct_invitation.cpp is the inviter's flow, direct_acceptance.cpp the invitee's.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "ice/agent.h"
#include "member/direct_channel.h"
#include "member_client/direct_stream.h"
#include "twofold/member.h"
#include "twofold/v1/gms.pb.h"
#include "twofold/v1/member.pb.h"

namespace twofold::member_client {

// Handshake and channel messages: the peer has this long for each step once ICE connected.
inline constexpr std::chrono::milliseconds kDirectStepTimeout{15'000};

void report(const DirectOptions& options, const std::string& stage, const std::string& detail);

// The agent for one attempt: STUN/TURN from the login's TURN credentials (none: host candidates
// only), progress lines to options.progress.
Result<std::unique_ptr<ice::Agent>> make_agent(ice::Role role, const std::optional<v1::TurnCredentials>& turn,
                                               const DirectOptions& options);

v1::DirectIce to_proto(const ice::Description& d);
ice::Description from_proto(const v1::DirectIce& d);

class IceStream final : public DirectStream {
  public:
    explicit IceStream(ice::Agent& agent) : agent_(agent) {}
    Status send(ByteView bytes, std::chrono::milliseconds timeout) override;
    Result<Bytes> receive(std::size_t max, std::chrono::milliseconds timeout) override;

  private:
    ice::Agent& agent_;
};

// The three Noise messages, this side's part. An "ended" frame from the inviter is returned as
// its error (its text says why: the code did not match, or the invitation is void).
Status run_handshake(member::DirectChannel& channel, FramedStream& stream, bool invitee);
Status send_message(member::DirectChannel& channel, FramedStream& stream, const v1::DirectChannelMessage& m);
Result<v1::DirectChannelMessage> receive_message(member::DirectChannel& channel, FramedStream& stream);

}  // namespace twofold::member_client
