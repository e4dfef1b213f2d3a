// The invitee's side of the direct route (docs/direct-route.md §2): offers arrive by mailbox and
// are kept (verified, replay-checked); `accept --code` answers the newest one with its own ICE
// candidates and CPace message, connects, runs Noise keyed by CPace, and over the channel takes
// the signed invitation, sends the acceptance and takes RN1. RN2 then comes from the GMS as on
// the public-key route.
#include "crypto/hex.h"
#include "handshake/direct_route_keys.h"
#include "member/direct_signalling.h"
#include "member/signed_messages.h"
#include "member_client/conversions.h"
#include "member_client/direct_session.h"
#include "member_client/member_impl.h"
#include "wire/message.h"
#include "wire/validate.h"

namespace twofold {

using member_client::report;

namespace {

constexpr const char* kOffers = "direct_offer";     // vault kind: nonce hex -> the newest v1::DirectOffer
constexpr const char* kAnswered = "direct_answer";  // vault kind: nonce hex -> the last v1::DirectAnswer sent

// The group name an offer seals to its invitee.
Result<crypto::GroupName> offer_group_name(const v1::DirectOffer& offer, const crypto::SigningKey& me) {
    v1::Invitation sealed;
    sealed.set_sealed_group_name(offer.sealed_group_name());
    return member::open_invitation_group_name(sealed, me);
}

}  // namespace

void Member::Impl::on_direct_offer(const v1::Envelope& envelope) {
    v1::Envelope e = envelope;
    if (direct_tamper_) direct_tamper_(v1::ENVELOPE_TYPE_DIRECT_OFFER, *e.mutable_payload());
    Status s = e.payload().size() <= member::kDirectSignallingMaxBytes
                   ? Status{}
                   : make_error(Errc::too_large, "direct offer above its limit");
    auto offer = s ? wire::parse_message<v1::DirectOffer>(as_bytes(e.payload())) : Result<v1::DirectOffer>(s.error());
    s = offer ? member::verify_direct_offer(*offer, identity_.public_key(), gms_key_, now_unix()) : Status(offer.error());
    if (s && offer->inviter_key() != e.sender_key())
        s = make_error(Errc::auth_failed, "direct offer sender differs from the relay-authenticated sender");
    const std::string nonce_hex = s ? crypto::to_hex(as_bytes(offer->invitation_nonce())) : std::string();
    if (s) {
        v1::DirectAnswer answered;
        auto found = member_client::get_message(vault_, kAnswered, nonce_hex, answered);
        s = !found ? Status(found.error()) : member::check_offer_fresh(*offer, *found ? answered.attempt() : 0);
    }
    if (s) {
        v1::DirectOffer held;
        auto found = member_client::get_message(vault_, kOffers, nonce_hex, held);
        if (!found) s = found.error();
        else if (*found && held.attempt() >= offer->attempt())
            s = make_error(Errc::stale_epoch, "replayed direct offer: attempt " + std::to_string(offer->attempt()) +
                                                  " of this invitation is already held");
    }
    if (s) s = check_contact(offer->inviter_account(), offer->inviter_key());
    auto name = s ? offer_group_name(*offer, identity_) : Result<crypto::GroupName>(s.error());
    if (!name) {
        refuse({}, "direct offer", name.error());
        return;
    }
    (void)member_client::put_message(vault_, kOffers, nonce_hex, *offer);
    emit(Event{Event::Kind::notice, id_hex(offer->group_id()).substr(0, 8), offer->inviter_account(),
               offer->inviter_account() + " invites you to «" + name->str() + "» by the direct route; `twofold accept " +
                   offer->inviter_account() + " --code CODE` with the code " + offer->inviter_account() +
                   " tells you"},
         offer->group_id());
}

namespace {

class DirectInvitee {
  public:
    DirectInvitee(Member::Impl& m, handshake::InviteCode code, const DirectOptions& options)
        : m_(m), code_(std::move(code)), options_(options) {}

    Result<DirectAcceptOutcome> run(const std::string& which) {
        auto offer = find_offer(which);
        if (!offer) return offer.error();
        group_id_ = offer->group_id();
        outcome_.group_id = id_hex(offer->group_id());
        outcome_.inviter = offer->inviter_account();
        if (auto name = offer_group_name(*offer, m_.identity_); name) outcome_.group = name->str();
        if (auto s = attempt(*offer); !s) return s.error();
        return outcome_;
    }

    const std::string& group_id() const { return group_id_; }

  private:
    // The newest fresh offer matching `which`, waiting a little for one still on its way (the
    // inviter sends a new offer after a failed try).
    Result<v1::DirectOffer> find_offer(const std::string& which) {
        const auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
        for (;;) {
            auto names = m_.vault_.names(kOffers);
            if (!names) return names.error();
            for (const auto& nonce_hex : *names) {
                v1::DirectOffer o;
                auto ok = member_client::get_message(m_.vault_, kOffers, nonce_hex, o);
                if (!ok) return ok.error();
                if (!*ok || o.expires_unix() <= now_unix()) continue;
                v1::DirectAnswer answered;
                auto a = member_client::get_message(m_.vault_, kAnswered, nonce_hex, answered);
                if (!a) return a.error();
                if (*a && answered.attempt() >= o.attempt()) continue;  // used: wait for the next attempt's
                auto name = offer_group_name(o, m_.identity_);
                const std::string gid = id_hex(o.group_id());
                if (o.inviter_account() == which || (name && name->str() == which) ||
                    (which.size() >= 4 && gid.starts_with(which))) {
                    return o;
                }
            }
            auto envelope = m_.wait_for_envelope(v1::ENVELOPE_TYPE_DIRECT_OFFER, deadline, options_.cancelled);
            if (!envelope && envelope.error().code == Errc::timeout) {
                return make_error(Errc::unknown, "no direct invitation from or to " + which +
                                                     " is waiting here (the inviter runs `twofold invite GROUP " +
                                                     m_.config_.account() + " --direct` and tells you the code)");
            }
            if (!envelope) return envelope.error();
            if (auto s = m_.vault_.begin(); !s) return s.error();
            m_.on_direct_offer(*envelope);
            if (auto s = m_.vault_.commit(); !s) return s.error();
        }
    }

    Status attempt(const v1::DirectOffer& offer) {
        const std::string nonce_hex = crypto::to_hex(as_bytes(offer.invitation_nonce()));
        auto inviter_key = member_client::sign_key_of(offer.inviter_key(), "inviter key");
        if (!inviter_key) return inviter_key.error();
        auto agent = member_client::make_agent(ice::Role::controlled, m_.turn_, options_);
        if (!agent) return agent.error();
        auto local = (*agent)->gather(options_.connect_timeout);
        if (!local) return local.error();

        const Bytes sid = member::direct_cpace_sid(offer.invitation_nonce(), offer.attempt());
        auto inputs = handshake::direct_route_cpace_inputs(code_, sid, *inviter_key, m_.identity_.public_key());
        if (!inputs) return inputs.error();
        handshake::CpaceParty cpace(handshake::CpaceParty::Role::responder, inputs->prs, inputs->ci, inputs->sid, {},
                                    handshake::CpaceTranscript::initiator_responder);
        auto yb = cpace.message();
        if (!yb) return yb.error();
        auto isk = cpace.finish(as_bytes(offer.cpace_point()), {});
        if (!isk) return make_error(isk.error().code, "the offer's CPace point: " + isk.error().message);
        const v1::DirectAnswer answer =
            member::make_direct_answer(m_.identity_, offer, member_client::to_proto(*local), *yb);
        // Recorded before it leaves: this attempt is used, whatever happens next.
        if (auto s = member_client::put_message(m_.vault_, kAnswered, nonce_hex, answer); !s) return s;
        auto sent = m_.relay_->send(*inviter_key, v1::ENVELOPE_TYPE_DIRECT_ANSWER, as_bytes(answer.SerializeAsString()));
        if (!sent) return sent.error();
        report(options_, "answer sent", "attempt " + std::to_string(offer.attempt()) + " to " + offer.inviter_account());
        if (options_.cancelled && options_.cancelled()) return make_error(Errc::unavailable, "cancelled");

        auto channel = member::DirectChannel::create(member::DirectChannel::Side::invitee, m_.identity_, *inviter_key,
                                                     *isk, member::direct_noise_prologue(offer, answer));
        if (!channel) return channel.error();
        if (auto s = (*agent)->set_remote(member_client::from_proto(offer.ice())); !s) return s;
        auto pair = (*agent)->wait_connected(options_.connect_timeout);
        if (!pair) return pair.error();
        outcome_.pair = ice::candidate_kind_name(pair->kind());

        member_client::IceStream stream(**agent);
        member_client::FramedStream framed(stream);
        report(options_, "handshake", "Noise_XXpsk3 with " + offer.inviter_account() + "'s identity key");
        if (auto s = member_client::run_handshake(*channel, framed, true); !s) return s;
        report(options_, "established", "the channel is keyed by the code and both identity keys are checked");
        return join(offer, *channel, framed);
    }

    Status join(const v1::DirectOffer& offer, member::DirectChannel& channel, member_client::FramedStream& framed) {
        auto first = member_client::receive_message(channel, framed);
        if (!first) return first.error();
        if (!first->has_invitation()) return make_error(Errc::malformed, "the inviter sent something else than the invitation");
        const v1::Invitation& inv = first->invitation();
        Status s = wire::validate(inv);
        if (s) s = member::verify_invitation(inv, m_.identity_.public_key(), m_.gms_key_, now_unix());
        if (s && (inv.inviter_key() != offer.inviter_key() || inv.nonce() != offer.invitation_nonce() ||
                  inv.group_id() != offer.group_id())) {
            s = make_error(Errc::forbidden, "the invitation over the channel is not the one the offer announced");
        }
        auto name = s ? member::open_invitation_group_name(inv, m_.identity_) : Result<crypto::GroupName>(s.error());
        if (!name) return name.error();
        v1::ReceivedInvitation record;
        *record.mutable_invitation() = inv;
        record.set_group_name(name->str());
        record.set_accepted(true);
        if (auto put = member_client::put_message(m_.vault_, "invitation", id_hex(inv.group_id()), record); !put) return put;
        if (auto put = m_.await_keys(inv); !put) return put;
        outcome_.group = name->str();

        v1::DirectChannelMessage acceptance;
        *acceptance.mutable_acceptance() = member::make_acceptance(m_.identity_, m_.config_.account(), inv);
        if (auto sent = member_client::send_message(channel, framed, acceptance); !sent) return sent;

        auto delivered = member_client::receive_message(channel, framed);
        if (!delivered) return delivered.error();
        v1::Envelope envelope;  // as if by mailbox: the same checks, the same store
        envelope.set_sender_key(inv.inviter_key());
        if (delivered->has_admission_refusal()) {
            envelope.set_type(v1::ENVELOPE_TYPE_ADMISSION_REFUSAL);
            envelope.set_payload(delivered->admission_refusal().SerializeAsString());
            m_.on_admission_refusal(envelope);
            return make_error(Errc::forbidden, offer.inviter_account() + " could not add you: " +
                                                   delivered->admission_refusal().reason());
        }
        if (!delivered->has_rn1_delivery()) return make_error(Errc::malformed, "the inviter sent something else than RN1");
        envelope.set_type(v1::ENVELOPE_TYPE_RN1_DELIVERY);
        envelope.set_payload(delivered->rn1_delivery().SerializeAsString());
        if (auto b = m_.vault_.begin(); !b) return b;
        m_.on_rn1_delivery(envelope);
        if (auto c = m_.vault_.commit(); !c) return c;
        auto it = m_.groups_.find(inv.group_id());
        if (it == m_.groups_.end() || !it->second.keys || it->second.keys->rn1s().empty()) {
            return make_error(Errc::auth_failed, "RN1 over the channel was refused (see `twofold recv`)");
        }
        report(options_, "rn1 received", "RN1 generation " + std::to_string(delivered->rn1_delivery().rn1_generation()));
        v1::DirectChannelMessage received;
        received.set_rn1_received(true);
        (void)member_client::send_message(channel, framed, received);
        (void)m_.vault_.erase(kOffers, crypto::to_hex(as_bytes(offer.invitation_nonce())));
        return {};
    }

    Member::Impl& m_;
    handshake::InviteCode code_;
    const DirectOptions& options_;
    DirectAcceptOutcome outcome_;
    std::string group_id_;
};

}  // namespace

Result<DirectAcceptOutcome> Member::accept_direct(const std::string& which, std::string_view code,
                                                  const DirectOptions& options) {
    auto parsed = handshake::InviteCode::parse(code);  // before anything reaches a server
    if (!parsed) return parsed.error();
    if (auto synced = impl_->sync(); !synced) return synced.error();
    DirectInvitee invitee(*impl_, std::move(parsed).value(), options);
    auto outcome = invitee.run(which);
    if (!outcome) return outcome;
    // RN2 from the GMS, as on the public-key route.
    auto synced = impl_->sync();
    if (!synced) return synced.error();
    auto it = impl_->groups_.find(invitee.group_id());
    outcome->joined = it != impl_->groups_.end() && it->second.keys && it->second.keys->ready();
    return outcome;
}

}  // namespace twofold
