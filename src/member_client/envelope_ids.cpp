// Which envelopes this member has processed, so a redelivery is dropped. twofold-relay numbers a
// recipient's envelopes upwards (per group, and per mailbox), so the highest id processed says it
// all. A broker has no ids: the member derives one from the publication's bytes
// (mqtt_transport.h) and remembers each in the vault, as envelope_id/<16 hex digits> holding
// when it was processed. Both are written in the envelope's own transaction, so an envelope
// whose processing was committed is known as processed — a crash before its acknowledgement
// makes the broker deliver it again, and this drops the copy.
#include <cstdio>

#include "member_client/member_impl.h"
#include "member_client/mqtt_transport.h"

namespace twofold {

namespace {

constexpr const char* kEnvelopeIds = "envelope_id";
// Long enough for any redelivery: a broker keeps an absent member's session this long at most.
constexpr std::uint64_t kRememberSeconds = member_client::kMqttSessionExpirySeconds + 24 * 3600;

std::string id_name(std::uint64_t id) {
    char name[17];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(id));
    return name;
}

}  // namespace

Result<bool> Member::Impl::already_processed(const Group* group, const v1::Envelope& envelope) {
    if (relay_->ids_increase()) {
        return envelope.id() <= (group ? group->info.last_envelope_id() : config_.last_mailbox_envelope());
    }
    auto held = vault_.get(kEnvelopeIds, id_name(envelope.id()));
    if (!held) return held.error();
    return held->has_value();
}

void Member::Impl::note_processed(Group* group, const v1::Envelope& envelope) {
    if (relay_->ids_increase()) {
        if (group) {
            group->info.set_last_envelope_id(std::max(group->info.last_envelope_id(), envelope.id()));
            (void)save_group(*group);
        } else {
            config_.set_last_mailbox_envelope(std::max(config_.last_mailbox_envelope(), envelope.id()));
            (void)member_client::put_message(vault_, "config", "member", config_);
        }
        return;
    }
    std::uint8_t when[8];
    const std::uint64_t now = now_unix();
    for (int i = 0; i < 8; ++i) when[i] = static_cast<std::uint8_t>(now >> (56 - 8 * i));
    (void)vault_.put(kEnvelopeIds, id_name(envelope.id()), ByteView(when, sizeof when));
    if (group) (void)save_group(*group);
}

Status Member::Impl::prune_envelope_ids() {
    auto names = vault_.names(kEnvelopeIds);
    if (!names) return names.error();
    const std::uint64_t now = now_unix();
    for (const auto& name : *names) {
        auto held = vault_.get(kEnvelopeIds, name);
        if (!held) return held.error();
        if (!held->has_value() || (*held)->size() != 8) continue;
        std::uint64_t when = 0;
        for (const std::uint8_t b : (*held)->span()) when = (when << 8) | b;
        if (when + kRememberSeconds < now) {
            if (auto s = vault_.erase(kEnvelopeIds, name); !s) return s;
        }
    }
    return {};
}

}  // namespace twofold
