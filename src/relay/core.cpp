#include "relay/core.h"

#include "wire/error_code.h"

#include <algorithm>

#include "wire/message.h"
#include "wire/statement.h"
#include "wire/validate.h"

namespace twofold::relay {

namespace {

constexpr std::uint64_t kPushRequestId = 0;  // a push, not an answer to a request
constexpr std::size_t kGroupIdBytes = 16;

std::shared_ptr<const std::string> encode(const v1::RelayResponse& r) {
    return std::make_shared<const std::string>(r.SerializeAsString());
}

Outgoing error_to(ConnId to, std::uint64_t request_id, v1::ErrorCode code, const std::string& message) {
    v1::RelayResponse r;
    r.set_request_id(request_id);
    r.mutable_error()->set_code(code);
    r.mutable_error()->set_message(message);
    return Outgoing{to, encode(r)};
}

Outgoing error_to(ConnId to, std::uint64_t request_id, const Error& e) {
    return error_to(to, request_id, wire::to_wire(e.code), e.message);
}

Outgoing ok_to(ConnId to, std::uint64_t request_id, std::uint64_t epoch) {
    v1::RelayResponse r;
    r.set_request_id(request_id);
    r.mutable_ok()->set_epoch(epoch);
    return Outgoing{to, encode(r)};
}

std::shared_ptr<const std::string> encode_delivery(const StoredEnvelope& e) {
    v1::RelayResponse r;
    r.set_request_id(kPushRequestId);
    auto* env = r.mutable_envelope();
    env->set_id(e.id);
    env->set_type(e.type);
    env->set_sender_key(e.sender_key);
    if (!e.recipient_key.empty()) env->set_recipient_key(e.recipient_key);
    if (!e.group_id.empty()) env->set_group_id(e.group_id);
    env->set_payload(e.payload);
    return encode(r);
}

template <typename Key>
void subtract(std::unordered_map<Key, std::uint64_t>& totals, const Key& key, std::uint64_t bytes) {
    auto& total = totals[key];
    total -= std::min(total, bytes);
}

}  // namespace

RelayCore::RelayCore(Config config, crypto::SignPublicKey gms_key, std::string relay_fingerprint, RelayStore& store)
    : config_(config), gms_key_(gms_key), fingerprint_(std::move(relay_fingerprint)), store_(store), gate_(gms_key, config.grace_ms) {}

Status RelayCore::load() {
    auto epochs = store_.group_epochs();
    if (!epochs) return epochs.error();
    gate_.load(*epochs);
    auto subs = store_.subscriptions();
    if (!subs) return subs.error();
    memberships_.load(*subs);
    if (auto s = reload_group_bytes(); !s) return s;
    return reload_queued_bytes();
}

Status RelayCore::reload_group_bytes() {
    auto held = store_.group_bytes();
    if (!held) return held.error();
    group_bytes_.clear();
    for (auto& [group, bytes] : *held) group_bytes_[group] = bytes;
    return {};
}

Status RelayCore::reload_queued_bytes() {
    auto queued = store_.queued_bytes();
    if (!queued) return queued.error();
    queued_bytes_.clear();
    for (auto& [member, bytes] : *queued) queued_bytes_[member] = bytes;
    return {};
}

void RelayCore::connected(ConnId conn, const Challenge& challenge, std::vector<Outgoing>& out) {
    Conn& c = conns_[conn];
    c.challenge = challenge;
    v1::RelayResponse r;
    r.set_request_id(kPushRequestId);
    r.mutable_challenge()->set_challenge(challenge.data(), challenge.size());
    out.push_back(Outgoing{conn, encode(r)});
}

void RelayCore::frame_error(ConnId conn, const Error& error, std::vector<Outgoing>& out) {
    out.push_back(error_to(conn, kPushRequestId, error));
}

void RelayCore::disconnected(ConnId conn) {
    const auto it = conns_.find(conn);
    if (it == conns_.end()) return;
    if (it->second.authenticated) {
        auto& list = online_[it->second.key];
        std::erase(list, conn);
        if (list.empty()) {
            online_.erase(it->second.key);
            buckets_.erase(it->second.key);
        }
    }
    to_pump_.erase(conn);
    conns_.erase(it);
}

void RelayCore::handle(ConnId id, ByteView frame, std::uint64_t now_ms, std::vector<Outgoing>& out) {
    const auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Conn& c = it->second;
    auto request = wire::parse_message<v1::RelayRequest>(frame);
    if (!request) return out.push_back(error_to(id, kPushRequestId, request.error()));
    const std::uint64_t rid = request->request_id();
    if (request->body_case() == v1::RelayRequest::BODY_NOT_SET) {
        return out.push_back(
            error_to(id, rid, v1::ERROR_CODE_MALFORMED, "RelayRequest has no body (unknown request type)"));
    }
    if (request->body_case() != v1::RelayRequest::kAuth && !c.authenticated) {
        return out.push_back(error_to(id, rid, v1::ERROR_CODE_UNAUTHENTICATED,
                                      "authenticate first: answer the AuthChallenge with an AuthResponse"));
    }
    if (auto s = wire::validate(*request); !s) return out.push_back(error_to(id, rid, s.error()));
    switch (request->body_case()) {
        case v1::RelayRequest::kAuth: return on_auth(id, c, *request, out);
        case v1::RelayRequest::kPublish: return on_publish(id, c, *request, now_ms, out);
        case v1::RelayRequest::kSend: return on_send(id, c, *request, now_ms, out);
        case v1::RelayRequest::kSubscribe: return on_subscribe(id, c, *request, now_ms, out);
        case v1::RelayRequest::kAck: return on_ack(id, c, *request);
        case v1::RelayRequest::kPublishRekey: return on_publish_rekey(id, c, *request, now_ms, out);
        case v1::RelayRequest::BODY_NOT_SET: break;
    }
}

void RelayCore::on_auth(ConnId id, Conn& c, const v1::RelayRequest& r, std::vector<Outgoing>& out) {
    if (c.authenticated) {
        return out.push_back(error_to(id, r.request_id(), v1::ERROR_CODE_CONFLICT, "already authenticated"));
    }
    const auto& auth = r.auth();
    if (auto s = verify_auth(as_bytes(auth.identity_key()), c.challenge, fingerprint_, as_bytes(auth.signature()));
        !s) {
        return out.push_back(error_to(id, r.request_id(), v1::ERROR_CODE_UNAUTHENTICATED, s.error().message));
    }
    auto& list = online_[auth.identity_key()];
    if (list.size() >= config_.max_connections_per_member) {
        if (list.empty()) online_.erase(auth.identity_key());
        return out.push_back(
            error_to(id, r.request_id(), v1::ERROR_CODE_RATE_LIMITED, "too many connections for this identity key"));
    }
    c.authenticated = true;
    c.key = auth.identity_key();
    list.push_back(id);
    out.push_back(ok_to(id, r.request_id(), 0));
    to_pump_.insert(id);  // its mailbox, once the batch ends
}

bool RelayCore::take_token(const MemberKey& key, std::uint64_t now_ms) {
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        it = buckets_.emplace(key, TokenBucket(config_.sends_per_second, config_.send_burst, now_ms)).first;
    }
    return it->second.take(now_ms);
}

Status RelayCore::admit(Conn& c, const v1::MembershipStatement& statement, const GroupId& group, std::uint64_t now_ms) {
    std::string encoded = statement.SerializeAsString();
    const auto known = c.statements.find(group);
    const bool checked = known != c.statements.end() && known->second.encoded == encoded;
    std::vector<GroupEpoch> raised;
    if (auto s = gate_.admit(statement, c.key, group, now_ms, checked, raised); !s) return s;
    for (const auto& e : raised) {
        if (auto s = store_.save_group_epoch(e); !s) return s;
        dirty_ = true;
    }
    if (!checked) {
        // Held until the statement expires or the membership's validity ends, whichever is first.
        c.statements[group] =
            Verified{std::move(encoded), statement.epoch(), wire::statement_deadline_unix(statement) * kMsPerSecond};
    }
    return {};
}

void RelayCore::on_publish(ConnId id, Conn& c, const v1::RelayRequest& r, std::uint64_t now_ms,
                           std::vector<Outgoing>& out) {
    const auto& env = r.publish().envelope();
    if (env.group_id().size() != kGroupIdBytes) {
        return out.push_back(
            error_to(id, r.request_id(), v1::ERROR_CODE_MALFORMED, "publish.envelope.group_id must be 16 bytes"));
    }
    if (env.payload().size() > config_.max_envelope_bytes) {
        return out.push_back(error_to(id, r.request_id(), v1::ERROR_CODE_TOO_LARGE,
                                      "envelope payload of " + std::to_string(env.payload().size()) +
                                          " bytes exceeds the maximum of " +
                                          std::to_string(config_.max_envelope_bytes)));
    }
    if (env.type() == v1::ENVELOPE_TYPE_REKEY) {
        return out.push_back(error_to(id, r.request_id(), v1::ERROR_CODE_FORBIDDEN,
                                      "rekeys are published by the GMS only, signed (publish_rekey)"));
    }
    if (!take_token(c.key, now_ms)) {
        return out.push_back(
            error_to(id, r.request_id(), v1::ERROR_CODE_RATE_LIMITED, "too many envelopes per second"));
    }
    if (auto s = admit(c, r.publish().statement(), env.group_id(), now_ms); !s) {
        return out.push_back(error_to(id, r.request_id(), s.error()));
    }
    const std::uint64_t epoch = r.publish().statement().epoch();
    std::vector<MemberKey> recipients = recipients_of(env.group_id(), c.key, epoch, env.payload().size());
    if (auto s = make_room(env.group_id(), env.payload().size()); !s) {
        return out.push_back(error_to(id, r.request_id(), v1::ERROR_CODE_INTERNAL, "the relay could not store it"));
    }
    StoredEnvelope e;
    e.type = env.type();
    e.sender_key = c.key;  // from authentication, never from the client
    e.group_id = env.group_id();
    e.payload = env.payload();
    e.expires_ms = now_ms + config_.ttl_ms;
    e.epoch = epoch;
    store_envelope(id, r.request_id(), std::move(e), std::move(recipients), out);
}

std::vector<MemberKey> RelayCore::recipients_of(const GroupId& group, const MemberKey& sender, std::uint64_t epoch,
                                                std::size_t bytes) {
    std::vector<MemberKey> recipients;
    for (auto& member : memberships_.owed(group, sender, epoch)) {
        // A full queue loses this envelope for that member only; the sender and the other
        // members are not held up. Members detect the gap end to end (sequence numbers, epochs).
        if (queued_bytes_[member] + bytes > config_.max_queued_bytes_per_member) continue;
        recipients.push_back(std::move(member));
    }
    return recipients;
}

// The group's retained bytes stay within max_group_bytes: its oldest envelopes make room, also
// those still owed to someone (members see that gap by sequence numbers).
Status RelayCore::make_room(const GroupId& group, std::uint64_t bytes) {
    const std::uint64_t held = group_bytes_[group];
    if (held + bytes <= config_.max_group_bytes) return {};
    auto released = store_.drop_oldest(group, held + bytes - config_.max_group_bytes);
    if (!released) return released.error();
    dirty_ = true;
    subtract(group_bytes_, group, released->bytes);
    for (const auto& [member, owed] : released->owed) subtract(queued_bytes_, member, owed);
    return {};
}

void RelayCore::on_send(ConnId id, Conn& c, const v1::RelayRequest& r, std::uint64_t now_ms,
                        std::vector<Outgoing>& out) {
    const auto& env = r.send().envelope();
    if (env.payload().size() > config_.max_envelope_bytes) {
        return out.push_back(error_to(id, r.request_id(), v1::ERROR_CODE_TOO_LARGE,
                                      "envelope payload of " + std::to_string(env.payload().size()) +
                                          " bytes exceeds the maximum of " +
                                          std::to_string(config_.max_envelope_bytes)));
    }
    if (!take_token(c.key, now_ms)) {
        return out.push_back(
            error_to(id, r.request_id(), v1::ERROR_CODE_RATE_LIMITED, "too many envelopes per second"));
    }
    if (env.type() == v1::ENVELOPE_TYPE_REKEY) {
        return out.push_back(error_to(id, r.request_id(), v1::ERROR_CODE_FORBIDDEN,
                                      "rekeys go to a group's topic, from the GMS only (publish_rekey)"));
    }
    if (queued_bytes_[env.recipient_key()] + env.payload().size() > config_.max_queued_bytes_per_member) {
        return out.push_back(
            error_to(id, r.request_id(), v1::ERROR_CODE_RATE_LIMITED, "the recipient's mailbox is full"));
    }
    StoredEnvelope e;
    e.type = env.type();
    e.sender_key = c.key;
    e.recipient_key = env.recipient_key();
    e.payload = env.payload();
    e.expires_ms = now_ms + config_.ttl_ms;
    std::vector<MemberKey> recipients{env.recipient_key()};
    store_envelope(id, r.request_id(), std::move(e), std::move(recipients), out);
}

void RelayCore::store_envelope(ConnId id, std::uint64_t request_id, StoredEnvelope envelope,
                               std::vector<MemberKey> recipients, std::vector<Outgoing>& out) {
    auto stored = store_.insert(envelope, recipients);
    if (!stored) {
        return out.push_back(error_to(id, request_id, v1::ERROR_CODE_INTERNAL, "the relay could not store it"));
    }
    dirty_ = true;
    envelope.id = *stored;
    for (const auto& m : recipients) queued_bytes_[m] += envelope.payload.size();
    if (!envelope.group_id.empty()) group_bytes_[envelope.group_id] += envelope.payload.size();
    v1::RelayResponse accepted;
    accepted.set_request_id(request_id);
    accepted.set_accepted_id(envelope.id);
    after_commit_.push_back(Outgoing{id, encode(accepted)});
    auto encoded = encode_delivery(envelope);
    fresh_.push_back(Fresh{std::move(envelope), std::move(encoded), std::move(recipients)});
}

void RelayCore::on_subscribe(ConnId id, Conn& c, const v1::RelayRequest& r, std::uint64_t now_ms,
                             std::vector<Outgoing>& out) {
    const GroupId& group = r.subscribe().group_id();
    const auto& statement = r.subscribe().statement();
    if (statement.member_since() > statement.epoch()) {
        return out.push_back(error_to(id, r.request_id(), v1::ERROR_CODE_MALFORMED,
                                      "subscribe.statement.member_since " + std::to_string(statement.member_since()) +
                                          " is after its epoch " + std::to_string(statement.epoch())));
    }
    // A statement of a membership before a re-admission (still within its grace) would make the
    // member eligible again for what was sent while it was out: refused before anything else.
    const std::uint64_t served_since = memberships_.member_since(group, c.key);
    if (statement.member_since() != 0 && statement.member_since() < served_since) {
        return out.push_back(error_to(id, r.request_id(), v1::ERROR_CODE_STALE_EPOCH,
                                      "membership statement is from an earlier membership (member_since " +
                                          std::to_string(statement.member_since()) +
                                          "; the relay serves this member from " + std::to_string(served_since) +
                                          "): fetch a current statement"));
    }
    if (auto s = admit(c, statement, group, now_ms); !s) return out.push_back(error_to(id, r.request_id(), s.error()));
    const Subscription subscription{group, c.key, statement.epoch(), statement.member_since()};
    const auto change = memberships_.subscribe(subscription);
    if (change != Memberships::Change::none) {
        Status saved = store_.save_subscription(subscription);
        if (saved && change == Memberships::Change::admitted) saved = admit_membership(subscription);
        if (!saved) {
            return out.push_back(error_to(id, r.request_id(), v1::ERROR_CODE_INTERNAL, "the relay could not store it"));
        }
        dirty_ = true;
    }
    after_commit_.push_back(ok_to(id, r.request_id(), statement.epoch()));
    // Envelopes of this group that were skipped while it had no valid statement: read again.
    c.cursor = 0;
    c.caught_up = false;
    to_pump_.insert(id);
}

// A membership the relay has not served: owed the group's stored envelopes from its member_since.
// Every connection of the member reads its queue again from the start, in id order.
Status RelayCore::admit_membership(const Subscription& subscription) {
    auto owed = store_.owe_membership(subscription.group, subscription.member, subscription.member_since);
    if (!owed) return owed.error();
    queued_bytes_[subscription.member] = *owed;
    if (const auto online = online_.find(subscription.member); online != online_.end()) {
        for (const ConnId conn : online->second) {
            Conn& c = conns_.at(conn);
            c.cursor = 0;
            c.caught_up = false;
            to_pump_.insert(conn);
        }
    }
    return {};
}

void RelayCore::on_ack(ConnId id, Conn& c, const v1::RelayRequest& r) {
    const auto& ids = r.ack().ids();
    if (ids.empty()) return;
    for (const std::uint64_t envelope_id : ids) {
        const auto it = c.in_flight.find(envelope_id);
        if (it == c.in_flight.end()) continue;
        subtract(queued_bytes_, c.key, it->second);
        c.in_flight_bytes -= it->second;
        c.in_flight.erase(it);
    }
    const std::vector<std::uint64_t> list(ids.begin(), ids.end());
    if (auto s = store_.remove_deliveries(c.key, list); s) dirty_ = true;
    to_pump_.insert(id);
}

bool RelayCore::deliverable(const Conn& c, const StoredEnvelope& e, std::uint64_t now_ms) const {
    if (e.group_id.empty()) return true;  // a mailbox envelope: the authenticated key is enough
    const auto it = c.statements.find(e.group_id);
    if (it == c.statements.end() || now_ms >= it->second.expires_ms ||
        !gate_.epoch_acceptable(e.group_id, it->second.epoch, now_ms)) {
        return false;
    }
    // Never an envelope from before the member's admission, whatever the store holds. Epoch 0:
    // stored before epochs were kept, delivered as before.
    return e.epoch == 0 || e.epoch >= memberships_.member_since(e.group_id, c.key);
}

bool RelayCore::window_full(const Conn& c) const {
    return c.in_flight.size() >= config_.delivery_window || c.in_flight_bytes >= config_.delivery_window_bytes;
}

void RelayCore::deliver(ConnId id, Conn& c, std::uint64_t envelope_id, std::size_t bytes,
                        std::shared_ptr<const std::string> encoded, std::vector<Outgoing>& out) {
    c.in_flight.emplace(envelope_id, bytes);
    c.in_flight_bytes += bytes;
    out.push_back(Outgoing{id, std::move(encoded)});
}

Status RelayCore::pump(ConnId id, Conn& c, std::uint64_t now_ms, std::vector<Outgoing>& out) {
    if (!c.authenticated) return {};
    while (!window_full(c)) {
        const std::size_t room = config_.delivery_window - c.in_flight.size();
        auto rows = store_.pending(c.key, c.cursor, room);
        if (!rows) return rows.error();
        for (const auto& e : *rows) {
            c.cursor = std::max(c.cursor, e.id);
            if (c.in_flight.contains(e.id) || !deliverable(c, e, now_ms)) continue;
            deliver(id, c, e.id, e.payload.size(), encode_delivery(e), out);
        }
        if (rows->size() < room) {
            c.caught_up = true;
            return {};
        }
    }
    c.caught_up = false;
    return {};
}

Status RelayCore::end_batch(std::uint64_t now_ms, std::vector<Outgoing>& out) {
    if (dirty_) {
        if (auto s = store_.commit(); !s) {
            after_commit_.clear();
            fresh_.clear();
            to_pump_.clear();
            return s;
        }
        dirty_ = false;
    }
    for (auto& o : after_commit_) out.push_back(std::move(o));
    after_commit_.clear();
    for (const Fresh& f : fresh_) {
        for (const MemberKey& member : f.recipients) {
            const auto online = online_.find(member);
            if (online == online_.end()) continue;
            for (const ConnId id : online->second) {
                Conn& c = conns_.at(id);
                if (!c.caught_up || to_pump_.contains(id)) continue;  // the store has it; pump reads it in order
                if (window_full(c)) {
                    c.caught_up = false;
                    continue;
                }
                c.cursor = std::max(c.cursor, f.envelope.id);
                if (deliverable(c, f.envelope, now_ms)) {
                    deliver(id, c, f.envelope.id, f.envelope.payload.size(), f.encoded, out);
                }
            }
        }
    }
    fresh_.clear();
    for (const ConnId id : to_pump_) {
        const auto it = conns_.find(id);
        if (it == conns_.end()) continue;
        if (auto s = pump(id, it->second, now_ms, out); !s) {
            to_pump_.clear();
            return s;
        }
    }
    to_pump_.clear();
    return {};
}

Status RelayCore::sweep(std::uint64_t now_ms) {
    auto removed = store_.expire(now_ms);
    if (!removed) return removed.error();
    if (auto s = store_.commit(); !s) return s;
    if (auto s = reload_group_bytes(); !s) return s;
    return reload_queued_bytes();
}

std::size_t RelayCore::in_flight(ConnId conn) const {
    const auto it = conns_.find(conn);
    return it == conns_.end() ? 0 : it->second.in_flight.size();
}

}  // namespace twofold::relay
