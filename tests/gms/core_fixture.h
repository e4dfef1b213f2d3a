// GmsCore driven directly, as its tests do: accounts, a group, joins, removals, renewals and
// RN2 inquiries, each request its own batch, with the group's true RN2 per epoch recorded from a
// member's own state so that the recent RN2s a welcome carries can be checked against it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crypto/gk.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "gms/core.h"
#include "member_keys.h"

namespace twofold::gms::testing {

inline constexpr std::uint64_t kStartMs = 1'800'000'000'000;  // 2027
inline constexpr std::uint32_t kIntervalSeconds = 3600;

// A welcome's sealed recent RN2s, opened: epoch -> RN2.
inline std::map<std::uint64_t, crypto::Rn2> recent_of(const v1::Welcome& w, const crypto::SigningKey& identity) {
    std::map<std::uint64_t, crypto::Rn2> out;
    if (w.sealed_recent().empty()) return out;
    auto list = crypto::open_sealed(crypto::X25519KeyPair::from_signing_key(identity), as_bytes(w.sealed_recent()));
    EXPECT_TRUE(list.ok()) << list.error().message;
    if (!list.ok()) return out;
    constexpr std::size_t kItem = 8 + crypto::kRn2Bytes;
    EXPECT_EQ(list->size() % kItem, 0u);
    for (std::size_t at = 0; at + kItem <= list->size(); at += kItem) {
        const ByteView item = list->span().subspan(at, kItem);
        std::uint64_t e = 0;
        for (std::size_t i = 0; i < 8; ++i) e = (e << 8) | item[i];
        EXPECT_LT(e, w.epoch()) << "a recent RN2 is of an epoch before the welcome's";
        out.emplace(e, crypto::Rn2::copy_of(item.subspan<8, crypto::kRn2Bytes>()));
    }
    return out;
}

inline std::set<std::uint64_t> epochs_of(const std::map<std::uint64_t, crypto::Rn2>& recent) {
    std::set<std::uint64_t> out;
    for (const auto& [e, rn2] : recent) out.insert(e);
    return out;
}

// The claims a status or welcome reports, as "generation:account" ("3:" when the GMS does not
// know who claimed it), each key checked against its account's.
inline std::vector<std::string> claims_of(const google::protobuf::RepeatedPtrField<v1::Rn1Claim>& claims,
                                          const std::map<std::string, crypto::SignPublicKey>& keys) {
    std::vector<std::string> out;
    for (const auto& c : claims) {
        out.push_back(std::to_string(c.generation()) + ":" + c.account());
        if (c.account().empty()) {
            EXPECT_TRUE(c.identity_key().empty()) << out.back();
        } else if (keys.contains(c.account())) {
            const auto& key = keys.at(c.account());
            EXPECT_EQ(c.identity_key(), std::string(key.begin(), key.end())) << out.back();
        } else {
            ADD_FAILURE() << "claim by an unknown account: " << out.back();
        }
    }
    return out;
}

struct Peer {
    std::string name;
    crypto::SigningKey identity = crypto::SigningKey::generate();
    ClientId client = 0;
};

class GmsCoreRecent : public ::testing::Test {
  protected:
    // A GMS starting with `state`, as after a restart with what its store loaded.
    void start(State state, Config config = {}) {
        core_ = std::make_unique<GmsCore>(std::move(config), crypto::SigningKey::generate(), std::move(state));
    }

    // Connects and logs in (the password check, Argon2id, is the server's: here it passes). The
    // answer lists the member's groups.
    v1::LoginResponse log_in(Peer& p) {
        p.client = next_client_++;
        core_->connected(p.client, "192.0.2.1");
        v1::GmsRequest r;
        r.set_request_id(next_request_++);
        r.mutable_login()->set_account(p.name);
        r.mutable_login()->set_password("unused");
        std::vector<Outgoing> out;
        auto job = core_->handle(p.client, r, now_, out);
        if (!job) {
            ADD_FAILURE() << "login of " << p.name << " made no password job";
            return {};
        }
        core_->finish_login(*job, true, now_, out);
        collect(out);
        const v1::GmsResponse answer = take_answer(p.client, r.request_id());
        EXPECT_TRUE(answer.has_login()) << answer.error().message();
        return answer.login();
    }

    // A new account, logged in.
    Peer account(const std::string& name) {
        Peer p{name};
        p.client = next_client_++;
        core_->connected(p.client, "192.0.2.1");
        v1::GmsRequest r;
        r.set_request_id(next_request_++);
        r.mutable_register_()->set_account(name);
        r.mutable_register_()->set_password("password-" + name);
        r.mutable_register_()->set_identity_key(
            std::string(p.identity.public_key().begin(), p.identity.public_key().end()));
        std::vector<Outgoing> out;
        auto job = core_->handle(p.client, r, now_, out);
        EXPECT_TRUE(job.has_value());
        if (job) core_->finish_register(*job, std::string("$argon2id$stand-in"), out);
        collect(out);
        EXPECT_TRUE(take_answer(p.client, r.request_id()).has_login());
        log_in(p);
        return p;
    }

    // Handles one request as its own batch and returns the answer to it.
    v1::GmsResponse ask(const Peer& p, v1::GmsRequest r) {
        r.set_request_id(next_request_++);
        std::vector<Outgoing> out;
        EXPECT_FALSE(core_->handle(p.client, r, now_, out).has_value());
        core_->end_batch(now_, out);
        collect(out);
        return take_answer(p.client, r.request_id());
    }

    // Several requests from `by` closed as one batch; the answers in order.
    std::vector<v1::GmsResponse> ask_in_one_batch(const Peer& by, std::vector<v1::GmsRequest> requests) {
        std::vector<Outgoing> out;
        for (auto& r : requests) {
            r.set_request_id(next_request_++);
            EXPECT_FALSE(core_->handle(by.client, r, now_, out).has_value());
        }
        core_->end_batch(now_, out);
        collect(out);
        std::vector<v1::GmsResponse> answers;
        for (const auto& r : requests) answers.push_back(take_answer(by.client, r.request_id()));
        return answers;
    }

    v1::GmsRequest notification(v1::MemberNotification::Change change, const std::string& account, Rights rights = {}) {
        v1::GmsRequest r;
        r.mutable_member_notification()->set_group_id(gid_);
        r.mutable_member_notification()->set_change(change);
        r.mutable_member_notification()->set_account(account);
        r.mutable_member_notification()->mutable_rights()->set_may_invite(rights.may_invite);
        r.mutable_member_notification()->mutable_rights()->set_may_remove(rights.may_remove);
        return r;
    }

    void create_group(const Peer& founder) {
        v1::GmsRequest r;
        r.mutable_create_group()->set_group_id(gid_);
        r.mutable_create_group()->mutable_policy()->set_rn2_interval_seconds(kIntervalSeconds);
        ASSERT_TRUE(ask(founder, r).has_group());
        record(founder);
    }

    // A join or removal by `by`, committed as one batch; records the new epoch's RN2.
    void change(const Peer& by, v1::MemberNotification::Change change, const std::string& account) {
        v1::GmsRequest r;
        r.mutable_member_notification()->set_group_id(gid_);
        r.mutable_member_notification()->set_change(change);
        r.mutable_member_notification()->set_account(account);
        const auto answer = ask(by, r);
        ASSERT_TRUE(answer.has_epoch()) << answer.error().message();
        record(by);
    }
    void add(const Peer& by, const std::string& account) { change(by, v1::MemberNotification::CHANGE_ADD, account); }
    void remove(const Peer& by, const std::string& account) {
        change(by, v1::MemberNotification::CHANGE_REMOVE, account);
    }

    // The timed renewal, one interval later.
    void renew(const Peer& witness) {
        now_ += std::uint64_t{kIntervalSeconds} * 1000;
        std::vector<Outgoing> out;
        core_->end_batch(now_, out);
        collect(out);
        record(witness);
    }

    // The RN2 inquiry's answer (a welcome) for `p`.
    v1::Welcome inquire(const Peer& p) {
        v1::GmsRequest r;
        r.mutable_rn2_inquiry()->set_group_id(gid_);
        const auto answer = ask(p, r);
        EXPECT_TRUE(answer.has_welcome()) << answer.error().message();
        return answer.welcome();
    }

    // The RN2 inquiries of several members answered in one batch, so all from the same state.
    std::vector<v1::Welcome> inquire_in_one_batch(const std::vector<const Peer*>& peers) {
        std::vector<Outgoing> out;
        std::vector<std::pair<ClientId, std::uint64_t>> asked;
        for (const Peer* p : peers) {
            v1::GmsRequest r;
            r.set_request_id(next_request_++);
            r.mutable_rn2_inquiry()->set_group_id(gid_);
            EXPECT_FALSE(core_->handle(p->client, r, now_, out).has_value());
            asked.emplace_back(p->client, r.request_id());
        }
        core_->end_batch(now_, out);
        collect(out);
        std::vector<v1::Welcome> welcomes;
        for (const auto& [client, rid] : asked) {
            const auto answer = take_answer(client, rid);
            EXPECT_TRUE(answer.has_welcome()) << answer.error().message();
            welcomes.push_back(answer.welcome());
        }
        return welcomes;
    }

    // A claim of RN1 generation `generation` by `p`: the answer (rn1_generation or CONFLICT).
    v1::GmsResponse claim(const Peer& p, std::uint64_t generation) {
        v1::GmsRequest r;
        r.mutable_rn1_generation()->set_group_id(gid_);
        r.mutable_rn1_generation()->set_generation(generation);
        return ask(p, r);
    }

    // The welcome pushed to `p` when it joined.
    v1::Welcome pushed_welcome(const Peer& p) {
        for (const auto& r : inbox_[p.client]) {
            if (r.request_id() == 0 && r.has_welcome()) return r.welcome();
        }
        ADD_FAILURE() << "no welcome pushed to " << p.name;
        return {};
    }

    std::uint64_t epoch() const { return core_->group(group_id())->keys.epoch(); }

    // Each recent RN2 is the one the group had at that epoch.
    void expect_true_rn2s(const std::map<std::uint64_t, crypto::Rn2>& recent) {
        for (const auto& [e, rn2] : recent) {
            ASSERT_TRUE(rn2_at_.contains(e)) << "epoch " << e;
            EXPECT_TRUE(rn2 == rn2_at_.at(e)) << "epoch " << e;
        }
    }

    // Records the group's current RN2 from a member's own state (ground truth for the checks).
    void record(const Peer& member) {
        auto path = open_welcome(inquire(member), member.identity);
        ASSERT_TRUE(path.ok()) << path.error().message;
        rn2_at_.insert_or_assign(path->epoch(), crypto::Rn2::copy_of(path->rn2()));
    }

    GroupId group_id() const {
        GroupId id{};
        std::copy(gid_.begin(), gid_.end(), id.begin());
        return id;
    }

    std::unique_ptr<GmsCore> core_ = std::make_unique<GmsCore>(Config{}, crypto::SigningKey::generate(), State{});
    std::uint64_t now_ = kStartMs;
    std::string gid_ = [] {
        const auto id = crypto::random_array<kGroupIdBytes>();
        return std::string(id.begin(), id.end());
    }();

  private:
    void collect(const std::vector<Outgoing>& out) {
        for (const auto& o : out) {
            v1::GmsResponse r;
            ASSERT_TRUE(r.ParseFromArray(o.payload->data(), static_cast<int>(o.payload->size())));
            inbox_[o.to].push_back(std::move(r));
        }
    }

    v1::GmsResponse take_answer(ClientId to, std::uint64_t request_id) {
        auto& box = inbox_[to];
        for (auto it = box.begin(); it != box.end(); ++it) {
            if (it->request_id() == request_id) {
                v1::GmsResponse r = std::move(*it);
                box.erase(it);
                return r;
            }
        }
        ADD_FAILURE() << "no answer to request " << request_id;
        return {};
    }

    ClientId next_client_ = 1;
    std::uint64_t next_request_ = 1;
    std::map<ClientId, std::vector<v1::GmsResponse>> inbox_;
    std::map<std::uint64_t, crypto::Rn2> rn2_at_;
};

}  // namespace twofold::gms::testing
