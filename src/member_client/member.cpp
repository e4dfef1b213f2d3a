// The operations a user asks for. Each syncs first (sync.cpp), then does its own work; the
// invitation flow's (invite, invitations, accept) are in invitation.cpp.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "crypto/gk.h"
#include "crypto/hex.h"
#include "crypto/random.h"
#include "gms_client/leader_connection.h"
#include "member/message_protection.h"
#include "member/safety_number.h"
#include "member/signed_messages.h"
#include "member_client/conversions.h"
#include "member_client/member_impl.h"
#include "member_client/mqtt_transport.h"
#include "mqtt_auth/token.h"
#include "net/endpoint.h"
#include "wire/statement.h"
#include "wire/validate.h"

namespace twofold {

using member_client::from_proto;
using member_client::sign_key_of;
using member_client::to_proto;

namespace {

constexpr std::string_view kStoreFile = "member.db";

}  // namespace

std::uint64_t now_unix() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::string id_hex(const std::string& group_id) { return crypto::to_hex(as_bytes(group_id)); }

Member::Impl::Impl(member_store::Vault vault, v1::MemberConfig config, crypto::SigningKey identity,
                   crypto::SecretBuffer password)
    : vault_(std::move(vault)),
      config_(std::move(config)),
      identity_(std::move(identity)),
      password_(std::move(password)) {
    std::copy(config_.gms_signing_key().begin(), config_.gms_signing_key().end(), gms_key_.begin());
}

namespace {

// --relay: HOST:PORT for twofold-relay, or mqtts://HOST:PORT for an MQTT broker with
// twofold-mosquitto-auth.so, whose login tokens then name HOST (docs/mqtt.md).
struct RelayAddress {
    net::Endpoint endpoint;
    bool mqtt = false;
};

Result<RelayAddress> parse_relay(std::string_view text) {
    constexpr std::string_view kMqtts = "mqtts://";
    RelayAddress a;
    if (text.starts_with(kMqtts)) {
        text.remove_prefix(kMqtts.size());
        a.mqtt = true;
    } else if (text.find("://") != std::string_view::npos) {
        return make_error(Errc::invalid_argument,
                          "--relay takes HOST:PORT (twofold-relay) or mqtts://HOST:PORT (an MQTT broker over TLS); "
                          "no other scheme");
    }
    auto e = net::parse_endpoint(text, "--relay");
    if (!e) return e.error();
    if (a.mqtt && !mqtt_auth::valid_broker_name(e->host)) {
        return make_error(Errc::invalid_argument, "--relay mqtts://HOST:PORT: HOST names the broker in login tokens, so it "
                                                  "must be a host name or IPv4 address (letters, digits, '.', '-')");
    }
    a.endpoint = std::move(*e);
    return a;
}

}  // namespace

Member::Member(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Member::~Member() = default;

Status Member::check_init_options(const std::filesystem::path& home, const InitOptions& o) {
    if (auto s = wire::validate_account(o.account); !s) return s;
    auto gms = gms::parse_gms_endpoints(o.gms, o.gms_fingerprint);
    if (!gms) return gms.error();
    auto relay = parse_relay(o.relay);
    if (!relay) return relay.error();
    auto gms_key = crypto::from_hex(o.gms_signing_key, "--gms-key");
    if (!gms_key) return gms_key.error();
    if (gms_key->size() != crypto::kSignPublicKeyBytes) {
        return make_error(Errc::invalid_argument, "--gms-key must be 64 hex digits (an Ed25519 public key)");
    }
    if (!o.password.empty() && o.password.size() < kMinPasswordBytes) {
        return make_error(Errc::invalid_argument,
                          "the GMS password must be at least " + std::to_string(kMinPasswordBytes) + " bytes");
    }
    const auto file = home / kStoreFile;
    if (std::filesystem::exists(file)) {
        return make_error(Errc::invalid_argument, home.string() + " already holds a member (" + file.string() + ")");
    }
    return {};
}

namespace {

// Removes a home directory init created, unless init got as far as a working member.
class HomeGuard {
  public:
    explicit HomeGuard(std::filesystem::path home)
        : home_(std::move(home)), created_(!std::filesystem::exists(home_)) {}
    ~HomeGuard() {
        std::error_code ec;
        if (created_ && !kept_) std::filesystem::remove_all(home_, ec);
    }
    HomeGuard(const HomeGuard&) = delete;
    HomeGuard& operator=(const HomeGuard&) = delete;
    void keep() { kept_ = true; }

  private:
    std::filesystem::path home_;
    bool created_;
    bool kept_ = false;
};

}  // namespace

Result<std::unique_ptr<Member>> Member::init(const std::filesystem::path& home, const std::string& passphrase,
                                             const InitOptions& o) {
    if (auto s = check_init_options(home, o); !s) return s.error();
    if (passphrase.empty()) return make_error(Errc::invalid_argument, "the passphrase is empty");
    if (o.password.empty()) return make_error(Errc::invalid_argument, "the password is empty");
    auto gms = gms::parse_gms_endpoints(o.gms, o.gms_fingerprint);
    auto relay = parse_relay(o.relay);
    auto gms_key = crypto::from_hex(o.gms_signing_key, "--gms-key");

    HomeGuard guard(home);
    std::error_code ec;
    std::filesystem::create_directories(home, ec);
    if (ec) return make_error(Errc::internal, "cannot create " + home.string() + ": " + ec.message());
    ::chmod(home.c_str(), 0700);
    const auto file = home / kStoreFile;

    v1::MemberConfig config;
    config.set_account(o.account);
    config.set_gms_host(gms->front().endpoint.host);
    config.set_gms_port(gms->front().endpoint.port);
    config.set_gms_fingerprint(gms->front().fingerprint);
    for (const gms::GmsEndpoint& e : *gms) {
        v1::GmsEndpoint* stored = config.add_gms_endpoints();
        stored->set_host(e.endpoint.host);
        stored->set_port(e.endpoint.port);
        stored->set_fingerprint(e.fingerprint);
    }
    config.set_gms_signing_key(as_string(*gms_key));
    config.set_relay_host(relay->endpoint.host);
    config.set_relay_port(relay->endpoint.port);
    if (relay->mqtt) {
        config.set_relay_transport(v1::MemberConfig::RELAY_TRANSPORT_MQTT);
        config.set_relay_broker_name(relay->endpoint.host);
    }
    config.set_relay_fingerprint(o.relay_fingerprint);
    crypto::SigningKey identity = crypto::SigningKey::generate();

    if (relay->mqtt) {
        // The broker keeps a mailbox only for a session that exists (docs/mqtt.md): made now,
        // before anyone can learn the key; this also checks the broker's pin and the login.
        auto broker = member_client::MqttTransport::connect(
            member_client::MqttOptions{relay->endpoint.host, relay->endpoint.port, o.relay_fingerprint,
                                       relay->endpoint.host},
            identity);
        Status opened = broker ? (*broker)->open_mailbox() : Status(broker.error());
        if (!opened) return make_error(opened.error().code, "cannot reach the MQTT broker: " + opened.error().message);
    }

    // Register first: a store is only left behind for an account that exists.
    auto client = gms::connect_to_leader(*gms, [&](gms::GmsClient& c) {
        return c.register_account(o.account, o.password, identity.public_key());
    });
    if (!client) {
        if (client.error().code == Errc::unavailable) return make_error(Errc::unavailable, "cannot reach the GMS: " + client.error().message);
        return client.error();
    }

    auto vault = member_store::Vault::create(file, as_bytes(passphrase), o.store_limits);
    if (!vault) return vault.error();
    if (auto s = vault->begin(); !s) return s.error();
    const crypto::SignSeed seed = identity.seed();
    for (auto s :
         {member_client::put_message(*vault, "config", "member", config), vault->put("secret", "identity", seed.span()),
          vault->put("secret", "password", as_bytes(o.password))}) {
        if (!s) return s.error();
    }
    if (auto s = vault->commit(); !s) return s.error();
    auto impl = Impl::load(std::move(*vault));
    if (!impl) return impl.error();
    guard.keep();
    return std::unique_ptr<Member>(new Member(std::move(*impl)));
}

Result<std::unique_ptr<Member>> Member::open(const std::filesystem::path& home, const std::string& passphrase) {
    const auto file = home / kStoreFile;
    if (!std::filesystem::exists(file)) {
        return make_error(Errc::unknown, "no member in " + home.string() + ": run `twofold init` first");
    }
    auto vault = member_store::Vault::open(file, as_bytes(passphrase));
    if (!vault) return vault.error();
    auto impl = Impl::load(std::move(*vault));
    if (!impl) return impl.error();
    return std::unique_ptr<Member>(new Member(std::move(*impl)));
}

Result<std::unique_ptr<Member::Impl>> Member::Impl::load(member_store::Vault vault) {
    v1::MemberConfig config;
    auto found = member_client::get_message(vault, "config", "member", config);
    if (!found) return found.error();
    if (!*found) return make_error(Errc::malformed, "the store holds no member configuration");
    auto seed = vault.get("secret", "identity");
    if (!seed) return seed.error();
    auto password = vault.get("secret", "password");
    if (!password) return password.error();
    if (!*seed || !*password) return make_error(Errc::malformed, "the store lacks the identity key or password");
    auto identity = crypto::SigningKey::from_seed((*seed)->span());
    if (!identity) return identity.error();

    auto impl =
        std::make_unique<Impl>(std::move(vault), std::move(config), std::move(*identity), std::move(**password));
    auto names = impl->vault_.names("group");
    if (!names) return names.error();
    for (const auto& name : *names) {
        Group g;
        auto ok = member_client::get_message(impl->vault_, "group", name, g.info);
        if (!ok) return ok.error();
        auto keys = member_client::load_group_keys(impl->vault_, g.info);
        if (!keys) return keys.error();
        g.keys = std::move(*keys);
        if (g.keys) g.stored_revision = g.keys->revision();
        impl->groups_.emplace(g.info.group_id(), std::move(g));
    }
    auto inbox = impl->vault_.names("inbox");
    if (!inbox) return inbox.error();
    if (!inbox->empty()) impl->next_inbox_ = std::stoull(inbox->back()) + 1;
    return impl;
}

std::vector<gms::GmsEndpoint> Member::Impl::gms_endpoints_of(const v1::MemberConfig& config) {
    std::vector<gms::GmsEndpoint> out;
    for (const v1::GmsEndpoint& e : config.gms_endpoints()) {
        out.push_back({net::Endpoint{e.host(), static_cast<std::uint16_t>(e.port())}, e.fingerprint()});
    }
    if (out.empty()) {
        out.push_back({net::Endpoint{config.gms_host(), static_cast<std::uint16_t>(config.gms_port())},
                       config.gms_fingerprint()});
    }
    return out;
}

Status Member::Impl::connect() {
    if (!gms_) {
        // Whichever of the GMS processes leads (gms_client/leader_connection.h).
        const std::string password(password_.span().begin(), password_.span().end());
        std::optional<v1::LoginResponse> login;
        auto client = gms::connect_to_leader(gms_endpoints_of(config_), [&](gms::GmsClient& c) -> Status {
            auto answer = c.login(config_.account(), password);
            if (!answer) return answer.error();
            login = std::move(*answer);
            return {};
        });
        if (!client) {
            if (client.error().code == Errc::unavailable) return make_error(Errc::unavailable, "cannot reach the GMS: " + client.error().message);
            return client.error();
        }
        statuses_.assign(login->groups().begin(), login->groups().end());
        turn_.reset();
        if (login->has_turn()) turn_ = login->turn();
        fresh_login_ = true;
        gms_ = std::move(client->client);
    }
    if (!relay_) {
        auto client = member_client::connect_transport(config_, identity_);
        if (!client) return make_error(client.error().code, "cannot reach the relay: " + client.error().message);
        relay_ = std::move(*client);
        relay_->set_handler([this](const Result<v1::Envelope>& envelope) { return process_envelope(envelope); });
        if (!relay_->ids_increase()) {
            if (auto s = prune_envelope_ids(); !s) return s;
        }
        subscribed_.clear();
    }
    return {};
}

Result<Member::Impl::Group*> Member::Impl::find_group(const std::string& which) {
    Group* by_id = nullptr;
    int id_matches = 0;
    for (auto& [gid, g] : groups_) {
        if (!g.info.name().empty() && g.info.name() == which) return &g;
        if (which.size() >= 4 && id_hex(gid).starts_with(which)) {
            by_id = &g;
            ++id_matches;
        }
    }
    if (id_matches == 1) return by_id;
    if (id_matches > 1) return make_error(Errc::invalid_argument, "group id prefix " + which + " is ambiguous");
    return make_error(Errc::unknown, "no group named " + which);
}

// Called for every envelope a group receives; the keys change far less often (a rekey, an RN1
// generation), and rewriting them costs a scan of the store's key records.
Status Member::Impl::save_group(Group& g) {
    const std::string hex = id_hex(g.info.group_id());
    if (auto s = member_client::put_message(vault_, "group", hex, g.info); !s) return s;
    if (!g.keys || g.keys->revision() == g.stored_revision) return {};
    if (auto s = member_client::save_group_keys(vault_, hex, *g.keys); !s) return s;
    g.stored_revision = g.keys->revision();
    return {};
}

Result<v1::MembershipStatement> Member::Impl::my_statement(Group& g) {
    const auto& st = g.info.statement();
    if (st.epoch() == g.info.membership_epoch() && st.expires_unix() > now_unix() + 60) return st;
    auto fresh = gms_->statement_since(as_bytes(g.info.group_id()), st.epoch());
    if (!fresh) return fresh.error();
    if (auto s = wire::verify_statement(fresh->statement, gms_key_, now_unix()); !s) return s.error();
    keep_joiners(g, fresh->joined);
    *g.info.mutable_statement() = fresh->statement;
    if (fresh->statement.epoch() > g.info.membership_epoch()) g.info.set_membership_epoch(fresh->statement.epoch());
    if (fresh->statement.member_since() != 0) g.info.set_member_since(fresh->statement.member_since());
    *g.info.mutable_rights() = fresh->statement.rights();
    return fresh->statement;
}

// The joiners' statements the GMS gave beside this member's own: kept (newest per key) until
// they expire, so each is presented to a broker before anything this member publishes under
// their epoch, even after a crash between fetching and presenting.
void Member::Impl::keep_joiners(Group& g, const std::vector<v1::MembershipStatement>& joined) {
    const std::uint64_t now = now_unix();
    std::map<std::string, v1::MembershipStatement> kept;
    for (const auto& j : g.info.joined()) {
        if (j.expires_unix() > now) kept[j.identity_key()] = j;
    }
    for (const auto& j : joined) {
        if (j.group_id() != g.info.group_id() || !wire::verify_statement(j, gms_key_, now)) continue;
        auto& held = kept[j.identity_key()];
        if (j.epoch() >= held.epoch()) held = j;
    }
    g.info.clear_joined();
    for (auto& [key, j] : kept) *g.info.add_joined() = std::move(j);
}

Status Member::Impl::present_statements(Group& g) {
    auto statement = my_statement(g);
    if (!statement) return statement.error();
    return relay_->present(as_bytes(g.info.group_id()), *statement, g.info.joined());
}

Status Member::Impl::publish(Group& g, v1::EnvelopeType type, const std::string& payload) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (auto s = present_statements(g); !s) return s;
        auto id = relay_->publish(as_bytes(g.info.group_id()), g.info.statement(), type, as_bytes(payload));
        if (id) return {};
        if (id.error().code != Errc::stale_epoch || attempt == 1) return id.error();
        // The server saw a newer epoch: fetch a new statement, once (keeping the epoch held, so
        // the GMS names who joined since).
        g.info.mutable_statement()->set_expires_unix(0);
    }
    return {};
}

Result<std::string> Member::Impl::registered_key(const std::string& account) {
    auto identity = gms_->lookup(account);
    if (!identity) return identity.error();
    if (auto s = wire::verify_identity(*identity, gms_key_); !s) return s.error();
    if (identity->account() != account) return make_error(Errc::auth_failed, "the GMS answered for another account");
    if (auto s = check_contact(account, identity->identity_key()); !s) return s.error();
    return identity->identity_key();
}

// A verified contact whose key changes is an error, never accepted silently.
Status Member::Impl::check_contact(const std::string& account, const std::string& identity_key) {
    v1::Contact contact;
    auto found = member_client::get_message(vault_, "contact", account, contact);
    if (!found) return found.error();
    if (*found && contact.identity_key() == identity_key) return {};
    if (*found && contact.verified()) {
        return make_error(Errc::auth_failed, "the identity key of verified contact " + account +
                                                 " has changed: compare safety numbers again, then `twofold verify " +
                                                 account + "`");
    }
    contact.set_account(account);
    contact.set_identity_key(identity_key);
    contact.set_verified(false);
    return member_client::put_message(vault_, "contact", account, contact);
}

std::string Member::Impl::group_label(const Group& g) const {
    return g.info.name().empty() ? id_hex(g.info.group_id()).substr(0, 8) : g.info.name();
}

GroupInfo Member::Impl::info_of(const Group& g) const {
    GroupInfo info;
    info.id = id_hex(g.info.group_id());
    info.name = g.info.name();
    switch (g.info.state()) {
        case v1::LocalGroup::STATE_ACTIVE: info.state = "active"; break;
        case v1::LocalGroup::STATE_REMOVED: info.state = "removed"; break;
        default: info.state = "awaiting-keys"; break;
    }
    info.rights = from_proto(g.info.rights());
    info.strict = g.info.policy().strict();
    info.membership_epoch = g.info.membership_epoch();
    info.rn2_interval_seconds = g.info.policy().rn2_interval_seconds();
    info.rn1_interval_seconds = static_cast<std::uint32_t>(rn1_interval_seconds(g.info.policy()));
    info.max_validity_seconds = g.info.policy().max_validity_seconds();
    info.valid_until = g.info.valid_until_unix();
    if (g.keys && g.keys->ready()) {
        info.rn1_generation = g.keys->current()->rn1_generation;
        info.rn2_epoch = g.keys->current()->rn2_epoch;
    }
    return info;
}

GroupInfo Member::Impl::listed_info_of(const Group& g) {
    GroupInfo info = info_of(g);
    if (!info.name.empty()) return info;
    v1::ReceivedInvitation r;
    if (auto found = member_client::get_message(vault_, "invitation", info.id, r); found && *found) {
        info.name = r.group_name();
    }
    return info;
}

// A new RN1 generation, ordered by the GMS (it learns the number, never the value), sealed to
// every other member. The loser of a race adopts the winner's generation when it arrives.
Status Member::Impl::rotate(Group& g, const std::string& excluded_account) {
    if (!g.keys || !g.keys->has_rn1()) return make_error(Errc::unknown, "no RN1 held for " + group_label(g));
    const std::uint64_t next = g.keys->rn1s().rbegin()->first + 1;
    auto claimed = gms_->claim_rn1_generation(as_bytes(g.info.group_id()), next);
    if (!claimed) return claimed.error();
    const v1::Rn1Claim& current = claimed->current;
    if (current.generation() > 0) {
        if (auto s = g.rn1_claims.learn(current); !s) return make_error(s.error().code, "GMS: " + s.error().message);
    }
    if (!claimed->won) {
        // The winner's delivery is the only one of that generation this member will take.
        const std::string by = current.account().empty() ? "" : " by " + current.account();
        emit(Event{Event::Kind::notice, group_label(g), config_.account(),
                   "another member rotated RN1 first: generation " + std::to_string(current.generation()) +
                       " was claimed at the GMS" + by + "; adopting theirs when it arrives"});
        return {};
    }
    auto members = gms_->list_members(as_bytes(g.info.group_id()));
    if (!members) return members.error();
    crypto::Rn1 rn1 = crypto::make_rn1();
    const std::string me = as_string(identity_.public_key());
    for (const auto& m : *members) {
        if (m.identity_key() == me || m.account() == excluded_account) continue;
        if (m.valid_until() != 0 && m.valid_until() <= now_unix()) continue;  // expired: never the new RN1
        if (auto s = wire::verify_statement(m, gms_key_, now_unix()); !s) return s;
        auto recipient = sign_key_of(m.identity_key(), "member key");
        if (!recipient) return recipient.error();
        auto delivery = member::make_rn1_delivery(identity_, as_bytes(g.info.group_id()), next, {}, rn1, g.keys->name(),
                                                  *recipient);
        if (!delivery) return delivery.error();
        auto sent = relay_->send(as_bytes(m.identity_key()), v1::ENVELOPE_TYPE_RN1_DELIVERY,
                                 as_bytes(delivery->SerializeAsString()));
        if (!sent) return sent.error();
    }
    if (auto s = g.keys->add_rn1(next, std::move(rn1)); !s) return s;
    g.info.set_rn1_since_unix(now_unix());
    g.info.set_rn1_membership_epoch(g.info.membership_epoch());
    emit(Event{Event::Kind::notice, group_label(g), config_.account(),
               "RN1 rotated to generation " + std::to_string(next)});
    return save_group(g);
}

Status Member::Impl::send_text(Group& g, const std::string& text) {
    if (g.info.state() != v1::LocalGroup::STATE_ACTIVE || !g.keys || !g.keys->ready()) {
        return make_error(Errc::forbidden,
                          "group " + group_label(g) + " has no group key here yet (waiting for RN1 or RN2)");
    }
    const member::EpochId epoch = *g.keys->current();
    auto schedule = g.keys->schedule(epoch);
    if (!schedule) return schedule.error();
    // The sequence number is stored before the message leaves, so a crash never reuses one.
    const std::uint64_t sequence = g.info.next_sequence();
    g.info.set_next_sequence(sequence + 1);
    if (auto s = save_group(g); !s) return s;
    auto message =
        member::protect_message(as_bytes(g.info.group_id()), epoch, *schedule, identity_, sequence, as_bytes(text));
    if (!message) return message.error();
    const bool on_lan = send_lan_message(g, as_string(*message));
    Status published = relay_ ? publish(g, v1::ENVELOPE_TYPE_GROUP_MESSAGE, as_string(*message))
                              : Status(make_error(Errc::unavailable, "the relay is unreachable"));
    if (!published && on_lan && published.error().code == Errc::unavailable) {
        // Members on the LAN have it; the others get it only if it is sent again.
        emit(Event{Event::Kind::notice, group_label(g), config_.account(),
                   "sent on the LAN only (the relay is unreachable: members elsewhere do not receive it)"});
        return {};
    }
    return published;
}

// --- the public operations ---

const std::string& Member::account() const { return impl_->config_.account(); }

std::string Member::fingerprint() const { return member::safety_number(impl_->identity_.public_key()); }

Result<std::vector<Event>> Member::sync() { return impl_->sync(); }

Result<GroupInfo> Member::create_group(const std::string& name, const GroupPolicyOptions& policy) {
    auto group_name = crypto::GroupName::parse(name);
    if (!group_name) return group_name.error();
    if (auto synced = impl_->sync(); !synced) return synced.error();
    for (const auto& [gid, g] : impl_->groups_) {
        if (g.info.name() == name && g.info.state() != v1::LocalGroup::STATE_REMOVED) {
            return make_error(Errc::invalid_argument, "a group named " + name + " exists already");
        }
    }
    const auto gid = crypto::random_array<wire::kGroupIdBytes>();
    v1::GroupPolicy p;
    p.set_rn2_interval_seconds(policy.rn2_interval_seconds);
    p.set_max_members(policy.max_members);
    p.set_strict(policy.strict);
    p.set_rn1_interval_seconds(policy.rn1_interval_seconds);
    p.set_max_validity_seconds(policy.max_validity_seconds);
    auto status = impl_->gms_->create_group(gid, p);
    if (!status) return status.error();

    Impl::Group g;
    g.info.set_group_id(as_string(gid));
    g.info.set_name(name);
    g.info.set_state(v1::LocalGroup::STATE_AWAITING_KEYS);
    *g.info.mutable_rights() = status->rights();
    *g.info.mutable_policy() = status->policy();
    g.info.set_membership_epoch(status->membership_epoch());
    g.keys.emplace(std::move(*group_name));
    auto& stored = impl_->groups_.emplace(as_string(gid), std::move(g)).first->second;
    if (auto s = impl_->save_group(stored); !s) return s.error();

    // The creator's welcome (its path and RN2) follows the answer; then RN1 generation 1.
    if (auto s = impl_->inquire(stored); !s) return s.error();
    auto claimed = impl_->gms_->claim_rn1_generation(gid, 1);
    if (!claimed) return claimed.error();
    if (!claimed->won) return make_error(Errc::internal, "the GMS refused RN1 generation 1 of a group just created");
    if (auto s = stored.rn1_claims.learn(claimed->current); !s) return s.error();
    if (auto s = stored.keys->add_rn1(1, crypto::make_rn1()); !s) return s.error();
    stored.info.set_rn1_since_unix(now_unix());
    stored.info.set_rn1_membership_epoch(stored.info.membership_epoch());
    stored.info.set_state(v1::LocalGroup::STATE_ACTIVE);
    if (auto s = impl_->save_group(stored); !s) return s.error();
    if (auto s = impl_->subscribe_all(); !s) return s.error();
    return impl_->info_of(stored);
}

Result<std::vector<GroupInfo>> Member::groups() {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    std::vector<GroupInfo> out;
    for (const auto& [gid, g] : impl_->groups_) out.push_back(impl_->listed_info_of(g));
    std::sort(out.begin(), out.end(), [](const GroupInfo& a, const GroupInfo& b) { return a.name < b.name; });
    return out;
}

Result<std::vector<MemberInfo>> Member::members(const std::string& group) {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    auto g = impl_->find_group(group);
    if (!g) return g.error();
    if (auto s = impl_->refresh_roster(**g); !s) return s.error();
    if (auto s = impl_->save_group(**g); !s) return s.error();
    std::vector<MemberInfo> out;
    for (const auto& entry : (*g)->info.roster()) {
        if (entry.removed_at_rn2_epoch() != 0) continue;  // kept to check its old messages, not a member
        auto key = sign_key_of(entry.identity_key(), "member key");
        if (!key) return key.error();
        out.push_back(
            MemberInfo{entry.account(), member::safety_number(*key), from_proto(entry.rights()), entry.valid_until()});
    }
    return out;
}

Result<SendOutcome> Member::send(const std::string& group, const std::string& text) {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    auto found = impl_->find_group(group);
    if (!found) return found.error();
    if (impl_->lan_messages_) {
        if (auto s = impl_->open_lan_sessions(false); !s) return s.error();
    }
    if (auto s = impl_->send_text(**found, text); !s) return s.error();
    const GroupInfo info = impl_->info_of(**found);
    return SendOutcome{impl_->group_label(**found), info.rn1_generation, info.rn2_epoch};
}

Result<std::vector<Event>> Member::recv(const std::optional<std::string>& group) {
    auto synced = impl_->sync();
    if (!synced) return synced.error();
    auto names = impl_->vault_.names("inbox");
    if (!names) return names.error();
    std::optional<std::string> gid;
    if (group) {
        auto g = impl_->find_group(*group);
        if (!g) return g.error();
        gid = (*g)->info.group_id();
    }
    std::vector<Event> out;
    if (auto s = impl_->vault_.begin(); !s) return s.error();
    for (const auto& name : *names) {
        v1::InboxItem item;
        auto ok = member_client::get_message(impl_->vault_, "inbox", name, item);
        if (!ok) return ok.error();
        if (item.invitation() && impl_->groups_.contains(item.group_id())) {  // accepted since: old news
            if (auto s = impl_->vault_.erase("inbox", name); !s) return s.error();
            continue;
        }
        if (gid && item.group_id() != *gid) continue;
        Event e;
        e.kind = item.refused()   ? Event::Kind::refused
                 : item.missing() ? Event::Kind::missing
                 : item.notice()  ? Event::Kind::notice
                                  : Event::Kind::message;
        e.group = item.group_name();
        e.group_id = id_hex(item.group_id());
        e.sender = item.sender();
        e.text = item.text();
        e.rn1_generation = item.rn1_generation();
        e.rn2_epoch = item.rn2_epoch();
        out.push_back(std::move(e));
        if (auto s = impl_->vault_.erase("inbox", name); !s) return s.error();
    }
    if (auto s = impl_->vault_.commit(); !s) return s.error();
    return out;
}

Result<RemoveOutcome> Member::remove(const std::string& group, const std::string& account) {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    auto found = impl_->find_group(group);
    if (!found) return found.error();
    Impl::Group& g = **found;
    if (!g.info.rights().may_remove()) return make_error(Errc::forbidden, "you lack may_remove in " + group);
    if (account == impl_->config_.account()) return make_error(Errc::invalid_argument, "use `twofold leave` to leave");
    if (auto s = impl_->refresh_roster(g); !s) return s.error();
    const auto& roster = g.info.roster();
    auto it = std::find_if(roster.begin(), roster.end(), [&](const v1::RosterEntry& e) {
        return e.account() == account && e.removed_at_rn2_epoch() == 0;
    });
    if (it == roster.end()) return make_error(Errc::unknown, account + " is not a member of " + group);
    auto removed_key = sign_key_of(it->identity_key(), "member key");
    if (!removed_key) return removed_key.error();

    // The paper's order (Fig. 6): the withdrawal instruction to the group, then the GMS.
    const v1::Withdrawal w = member::make_withdrawal(impl_->identity_, as_bytes(g.info.group_id()), *removed_key,
                                                     account, g.info.membership_epoch() + 1);
    if (auto s = impl_->publish(g, v1::ENVELOPE_TYPE_WITHDRAWAL, w.SerializeAsString()); !s) return s.error();
    auto epoch = impl_->gms_->remove_member(as_bytes(g.info.group_id()), account);
    if (!epoch) return epoch.error();
    if (auto s = impl_->drain_pushes(); !s) return s.error();
    const std::uint64_t generation_before = impl_->info_of(g).rn1_generation;
    if (g.info.policy().strict()) {
        if (auto s = impl_->rotate(g, account); !s) return s.error();
    }
    impl_->emit(Event{Event::Kind::notice, impl_->group_label(g), impl_->config_.account(),
                      "removed " + account + " (membership epoch " + std::to_string(*epoch) + ")"});
    if (auto s = impl_->save_group(g); !s) return s.error();
    const std::uint64_t generation = impl_->info_of(g).rn1_generation;
    return RemoveOutcome{impl_->group_label(g), account, *epoch, generation != generation_before, generation};
}

Result<LeaveOutcome> Member::leave(const std::string& group) {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    auto found = impl_->find_group(group);
    if (!found) return found.error();
    Impl::Group& g = **found;
    if (g.info.state() == v1::LocalGroup::STATE_ACTIVE) {
        const v1::Withdrawal w =
            member::make_withdrawal(impl_->identity_, as_bytes(g.info.group_id()), impl_->identity_.public_key(),
                                    impl_->config_.account(), g.info.membership_epoch() + 1);
        if (auto s = impl_->publish(g, v1::ENVELOPE_TYPE_WITHDRAWAL, w.SerializeAsString()); !s) return s.error();
    }
    auto epoch = impl_->gms_->leave(as_bytes(g.info.group_id()));
    if (!epoch) return epoch.error();
    const std::string label = impl_->group_label(g);
    if (auto s = impl_->mark_removed(g, "you left"); !s) return s.error();
    return LeaveOutcome{label, *epoch};
}

Result<RotateOutcome> Member::rotate_rn1(const std::string& group) {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    auto found = impl_->find_group(group);
    if (!found) return found.error();
    Impl::Group& g = **found;
    const std::uint64_t before = g.keys && g.keys->has_rn1() ? g.keys->rn1s().rbegin()->first : 0;
    if (auto s = impl_->rotate(g, {}); !s) return s.error();
    const std::uint64_t after = g.keys && g.keys->has_rn1() ? g.keys->rn1s().rbegin()->first : 0;
    // A lost race leaves the held generations as they were; the winner's arrives later.
    const bool won = after > before;
    return RotateOutcome{impl_->group_label(g), won, won ? after : g.rn1_claims.current()};
}

Result<Member::CurrentKeys> Member::current_keys(const std::string& group) {
    if (auto synced = impl_->sync(); !synced) return synced.error();
    auto found = impl_->find_group(group);
    if (!found) return found.error();
    const Impl::Group& g = **found;
    if (!g.keys || !g.keys->ready()) return make_error(Errc::unknown, "no group key held for " + group);
    const member::EpochId epoch = *g.keys->current();
    const crypto::Rn1& rn1 = g.keys->rn1s().rbegin()->second;
    const crypto::Rn2 rn2 = crypto::Rn2::copy_of(g.keys->path()->rn2());
    const crypto::GroupKey gk = crypto::derive_group_key(rn1, rn2, g.keys->name());
    return CurrentKeys{epoch.rn1_generation, epoch.rn2_epoch, crypto::to_hex(rn1.span()), crypto::to_hex(gk.span())};
}

Result<std::string> Member::fingerprint_of(const std::string& account) {
    if (account == impl_->config_.account()) return fingerprint();
    if (auto s = impl_->connect(); !s) return s.error();
    auto key = impl_->registered_key(account);
    if (!key) return key.error();
    auto k = sign_key_of(*key, "identity key");
    if (!k) return k.error();
    return member::safety_number(*k);
}

Status Member::verify(const std::string& account) {
    if (account == impl_->config_.account()) return make_error(Errc::invalid_argument, "you cannot verify yourself");
    if (auto s = impl_->connect(); !s) return s;
    auto key = impl_->registered_key(account);  // refuses a verified contact whose key changed
    if (!key) return key.error();
    v1::Contact contact;
    contact.set_account(account);
    contact.set_identity_key(*key);
    contact.set_verified(true);
    return member_client::put_message(impl_->vault_, "contact", account, contact);
}

}  // namespace twofold
