// The inviter's side of the direct route (docs/direct-route.md §2): show a code, then per
// attempt gather ICE candidates, send a signed offer with the first CPace message through the
// relay, take the invitee's signed answer, connect, run Noise keyed by CPace, and over the
// channel hand over the signed invitation, take the acceptance, add the invitee at the GMS and
// deliver RN1. A wrong code ends the attempt; the third voids the invitation.
#include <optional>

#include "crypto/hex.h"
#include "handshake/direct_route_keys.h"
#include "member/admission_refusal.h"
#include "member/direct_signalling.h"
#include "member/signed_messages.h"
#include "member_client/direct_session.h"
#include "member_client/member_impl.h"
#include "wire/message.h"
#include "wire/validate.h"

namespace twofold {

using member_client::report;

namespace {

enum class AttemptEnd { done, code_mismatch, no_pair, failed };

std::string tries_text(std::uint32_t attempt) {
    return std::to_string(attempt) + " of " + std::to_string(member::kDirectMaxAttempts) + " tries";
}

class DirectInviter {
  public:
    DirectInviter(Member::Impl& m, Member::Impl::PreparedInvitation& p, std::string account, Rights rights,
                  const DirectOptions& options)
        : m_(m), p_(p), account_(std::move(account)), rights_(rights), options_(options),
          code_(handshake::InviteCode::generate()),
          deadline_(std::chrono::steady_clock::now() + options.wait),
          expires_unix_(now_unix() + static_cast<std::uint64_t>(options.wait.count())) {
        outcome_.group = p_.group->info.name();
        outcome_.invitee = account_;
        outcome_.rights = rights_;
    }

    Result<DirectInviteOutcome> run(const std::function<void(std::string_view)>& show_code) {
        const ByteView shown = code_.canonical();
        if (show_code) show_code(std::string_view(reinterpret_cast<const char*>(shown.data()), shown.size()));
        for (std::uint32_t attempt = 1; attempt <= member::kDirectMaxAttempts; ++attempt) {
            Error error{Errc::internal, {}};
            const AttemptEnd end = attempt_once(attempt, error);
            if (end == AttemptEnd::done) return outcome_;
            if (end == AttemptEnd::no_pair && options_.prefer) return fall_back(error);
            if (end != AttemptEnd::code_mismatch) return void_with(error);
            report(options_, "code mismatch", "the invitee's code did not match (" + tries_text(attempt) + ")");
        }
        return void_with(Error{Errc::auth_failed, std::string(member::kCodeMismatch) + " (" +
                                                      tries_text(member::kDirectMaxAttempts) +
                                                      "): the invitation is void"});
    }

  private:
    Result<DirectInviteOutcome> void_with(const Error& e) {
        return make_error(e.code, e.message + (e.message.find("void") == std::string::npos ? "; the code is void" : ""));
    }

    Result<DirectInviteOutcome> fall_back(const Error& why) {
        report(options_, "fallback", "no candidate pair worked (" + why.message + "): sending the invitation by the public-key route");
        if (auto s = m_.send_invitation(p_, account_); !s) return s.error();
        outcome_.fell_back = true;
        outcome_.fallback_reason = why.message;
        return outcome_;
    }

    AttemptEnd fail(Error& out, Error e, AttemptEnd kind = AttemptEnd::failed) {
        out = std::move(e);
        return kind;
    }

    AttemptEnd attempt_once(std::uint32_t attempt, Error& error) {
        auto agent = member_client::make_agent(ice::Role::controlling, m_.turn_, options_);
        if (!agent) return fail(error, agent.error());
        auto local = (*agent)->gather(options_.connect_timeout);
        if (!local) return fail(error, local.error());

        const v1::Invitation& inv = p_.invitation;
        const Bytes sid = member::direct_cpace_sid(inv.nonce(), attempt);
        auto inputs =
            handshake::direct_route_cpace_inputs(code_, sid, m_.identity_.public_key(), p_.invitee);
        if (!inputs) return fail(error, inputs.error());
        handshake::CpaceParty cpace(handshake::CpaceParty::Role::initiator, inputs->prs, inputs->ci, inputs->sid, {},
                                    handshake::CpaceTranscript::initiator_responder);
        auto ya = cpace.message();
        if (!ya) return fail(error, ya.error());

        member::DirectOfferInputs in;
        in.inviter_account = m_.config_.account();
        in.group_id = as_bytes(inv.group_id());
        in.invitation_nonce = as_bytes(inv.nonce());
        in.invitee_key = p_.invitee;
        in.attempt = attempt;
        in.expires_unix = expires_unix_;
        in.group_name = &p_.group->keys->name();
        in.ice = member_client::to_proto(*local);
        in.cpace_point = *ya;
        in.inviter_statement = inv.inviter_statement();
        auto offer = member::make_direct_offer(m_.identity_, in);
        if (!offer) return fail(error, offer.error());
        auto sent = m_.relay_->send(p_.invitee, v1::ENVELOPE_TYPE_DIRECT_OFFER, as_bytes(offer->SerializeAsString()));
        if (!sent) return fail(error, sent.error());
        report(options_, "offer sent",
               "attempt " + std::to_string(attempt) + "; waiting for " + account_ + " (`twofold accept " +
                   m_.config_.account() + " --code CODE`)");

        auto answer = wait_answer(*offer);
        if (!answer) return fail(error, answer.error());
        auto isk = cpace.finish(as_bytes(answer->cpace_point()), {});
        if (!isk) return fail(error, isk.error());
        auto channel = member::DirectChannel::create(member::DirectChannel::Side::inviter, m_.identity_, p_.invitee,
                                                     *isk, member::direct_noise_prologue(*offer, *answer));
        if (!channel) return fail(error, channel.error());

        if (auto s = (*agent)->set_remote(member_client::from_proto(answer->ice())); !s) return fail(error, s.error());
        auto pair = (*agent)->wait_connected(options_.connect_timeout);
        if (!pair) return fail(error, pair.error(), AttemptEnd::no_pair);
        outcome_.pair = ice::candidate_kind_name(pair->kind());

        member_client::IceStream stream(**agent);
        member_client::FramedStream framed(stream);
        report(options_, "handshake", "Noise_XXpsk3 with " + account_ + "'s identity key");
        if (auto s = member_client::run_handshake(*channel, framed, false); !s) {
            if (s.error().message != member::kCodeMismatch) return fail(error, s.error());
            const std::string told = std::string(member::kCodeMismatch) + " (" + tries_text(attempt) + " used" +
                                     (attempt == member::kDirectMaxAttempts ? "; the invitation is void)" : ")");
            (void)framed.send(member_client::DirectFrameKind::ended, as_bytes(told), member_client::kDirectStepTimeout);
            return fail(error, s.error(), AttemptEnd::code_mismatch);
        }
        report(options_, "established", "the channel is keyed by the code and both identity keys are checked");
        if (auto s = admit(*channel, framed); !s) return fail(error, s.error());
        return AttemptEnd::done;
    }

    // Answers until one verifies against this offer; a refused one is reported and waited past.
    Result<v1::DirectAnswer> wait_answer(const v1::DirectOffer& offer) {
        for (;;) {
            auto envelope = m_.wait_for_envelope(v1::ENVELOPE_TYPE_DIRECT_ANSWER, deadline_, options_.cancelled);
            if (!envelope) {
                if (envelope.error().code == Errc::timeout) {
                    return make_error(Errc::timeout, account_ + " did not answer within " +
                                                         std::to_string(options_.wait.count()) + " s");
                }
                return envelope.error();
            }
            if (m_.direct_tamper_) m_.direct_tamper_(v1::ENVELOPE_TYPE_DIRECT_ANSWER, *envelope->mutable_payload());
            Status s = envelope->payload().size() <= member::kDirectSignallingMaxBytes
                           ? Status{}
                           : make_error(Errc::too_large, "direct answer above its limit");
            auto answer = s ? wire::parse_message<v1::DirectAnswer>(as_bytes(envelope->payload()))
                            : Result<v1::DirectAnswer>(s.error());
            if (answer && envelope->sender_key() != offer.invitee_key()) {
                s = make_error(Errc::auth_failed, "direct answer sender differs from the invitee");
            }
            if (answer && s) s = member::verify_direct_answer(*answer, offer);
            if (answer && s) return answer;
            const Error& why = answer ? s.error() : answer.error();
            report(options_, "refused", why.message);
            m_.refuse({}, "direct answer", why);
        }
    }

    // Over the channel: the same signed invitation, acceptance and RN1 delivery as by mailbox.
    Status admit(member::DirectChannel& channel, member_client::FramedStream& framed) {
        const v1::Invitation& inv = p_.invitation;
        v1::DirectChannelMessage m;
        *m.mutable_invitation() = inv;
        if (auto s = member_client::send_message(channel, framed, m); !s) return s;
        auto reply = member_client::receive_message(channel, framed);
        if (!reply) return reply.error();
        if (!reply->has_acceptance()) return make_error(Errc::malformed, "the invitee answered the invitation with something else");
        const v1::Acceptance& a = reply->acceptance();
        if (auto s = wire::validate(a); !s) return s;
        if (auto s = member::verify_acceptance(a, inv); !s) return s;

        Member::Impl::Group& g = *p_.group;
        auto epoch = m_.add_at_gms(g, account_, inv.rights(), a.invitee_key());
        if (!epoch && transient(epoch.error())) {
            return make_error(epoch.error().code, "could not reach the GMS to add " + account_ + ": " +
                                                      epoch.error().message + " (nothing was sent; invite again)");
        }
        if (!epoch) {  // refused on the merits: the invitee is told, as by mailbox
            v1::DirectChannelMessage refusal;
            *refusal.mutable_admission_refusal() = member::make_admission_refusal(m_.identity_, inv, epoch.error().message);
            (void)member_client::send_message(channel, framed, refusal);
            return make_error(epoch.error().code, "the GMS did not add " + account_ + ": " + epoch.error().message);
        }
        outcome_.membership_epoch = *epoch;
        const auto current = *g.keys->current();
        auto delivery = member::make_rn1_delivery(m_.identity_, as_bytes(g.info.group_id()), current.rn1_generation,
                                                  as_bytes(inv.nonce()), g.keys->rn1s().rbegin()->second,
                                                  g.keys->name(), p_.invitee);
        if (!delivery) return delivery.error();
        v1::DirectChannelMessage rn1;
        *rn1.mutable_rn1_delivery() = std::move(*delivery);
        if (auto s = member_client::send_message(channel, framed, rn1); !s) return s;
        report(options_, "rn1 sent", "RN1 generation " + std::to_string(current.rn1_generation) + " over the channel");
        auto received = member_client::receive_message(channel, framed);
        if (!received) return received.error();
        if (!received->rn1_received()) return make_error(Errc::malformed, "the invitee did not confirm RN1");
        m_.emit(Event{Event::Kind::notice, m_.group_label(g), account_,
                      account_ + " joined by the direct route: RN1 sent, GMS notified, epoch " + std::to_string(*epoch)});
        return {};
    }

    Member::Impl& m_;
    Member::Impl::PreparedInvitation& p_;
    std::string account_;
    Rights rights_;
    const DirectOptions& options_;
    handshake::InviteCode code_;
    std::chrono::steady_clock::time_point deadline_;
    std::uint64_t expires_unix_;
    DirectInviteOutcome outcome_;
};

}  // namespace

Result<DirectInviteOutcome> Member::invite_direct(const std::string& group, const std::string& account, Rights rights,
                                                  const DirectOptions& options,
                                                  const std::function<void(std::string_view code)>& show_code) {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    auto prepared = impl_->prepare_invitation(group, account, rights);
    if (!prepared) return prepared.error();
    DirectInviter inviter(*impl_, *prepared, account, rights, options);
    return inviter.run(show_code);
}

Result<v1::Envelope> Member::Impl::wait_for_envelope(v1::EnvelopeType type,
                                                     std::chrono::steady_clock::time_point deadline,
                                                     const std::function<bool()>& cancelled) {
    constexpr std::chrono::milliseconds kSlice{100};  // how often cancelled() is asked
    // The awaited envelope is taken (and acknowledged) here; every other one is processed as a
    // sync would.
    std::optional<v1::Envelope> found;
    auto previous = relay_->set_handler([&](const Result<v1::Envelope>& envelope) -> Status {
        if (!envelope || found) return process_envelope(envelope);
        const bool mailbox = envelope->group_id().empty();
        if (mailbox) {
            if (auto seen = already_processed(nullptr, *envelope); seen && *seen) return {};  // a redelivery
        }
        if (envelope->type() == type && mailbox) {
            note_processed(nullptr, *envelope);
            found = *envelope;
            return {};
        }
        return process_envelope(envelope);
    });
    struct RestoreHandler {
        member_client::Transport& transport;
        member_client::EnvelopeHandler& previous;
        ~RestoreHandler() { transport.set_handler(std::move(previous)); }
    } restore{*relay_, previous};
    for (;;) {
        if (found) return *found;
        if (cancelled && cancelled()) return make_error(Errc::unavailable, "cancelled");
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return make_error(Errc::timeout, "nothing arrived in time");
        auto got = relay_->receive(std::min(left, kSlice));
        if (!got && got.error().code == Errc::timeout) continue;
        if (!got) return got.error();
    }
}

}  // namespace twofold
