// The direct route end to end on loopback (docs/direct-route.md): the real GMS and relay, two
// members, the ICE agent gathering 127.0.0.1 only (so the pair is a host pair). The inviter runs
// invite_direct on a thread of its own, as `twofold invite --direct` waits in its own process.
//
//   - a matching code: RN1 over the channel, both derive the same GK, the pair is "host", and the
//     GMS's and relay's files hold neither RN1 nor the code;
//   - a wrong code: "invitation code does not match", the invitation void after 3 tries;
//   - replayed and altered signalling refused with the reason; a relay that swaps the answer's
//     candidates or signs it with its own key is caught;
//   - no working pair: --direct fails naming what was tried, --direct=prefer falls back.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <thread>

#include "crypto/hex.h"
#include "deployment.h"
#include "member/direct_signalling.h"
#include "member_client/member_test_seam.h"
#include "member_steps.h"
#include "twofold/v1/member.pb.h"
#include "twofold/v1/relay.pb.h"

namespace twofold::testing {
namespace {

constexpr const char* kGroup = "ops";

DirectOptions loopback(std::chrono::seconds wait = std::chrono::seconds(60)) {
    DirectOptions o;
    o.wait = wait;
    o.connect_timeout = std::chrono::seconds(5);
    o.loopback_only = true;
    return o;
}

// invite_direct on its own thread; the code it shows, and its result.
class Inviter {
  public:
    Inviter(Member& m, const std::string& invitee, DirectOptions options) : options_(std::move(options)) {
        options_.cancelled = [this] { return cancel_.load(); };
        auto progress = options_.progress;
        options_.progress = [this, progress](const DirectProgress& p) {
            std::lock_guard lock(mu_);
            stages_.push_back(p.stage + ": " + p.detail);
            if (progress) progress(p);
        };
        thread_ = std::thread([this, &m, invitee] {
            auto r = m.invite_direct(kGroup, invitee, Rights{}, options_,
                                     [this](std::string_view code) { code_.set_value(std::string(code)); });
            if (!r.ok()) {
                try {
                    code_.set_value("");
                } catch (const std::future_error&) {
                }
            }
            result_.set_value(std::move(r));
        });
    }
    ~Inviter() {
        cancel_ = true;
        if (thread_.joinable()) thread_.join();
    }
    std::string code() { return code_future_.get(); }
    Result<DirectInviteOutcome> result() {
        auto r = result_future_.get();
        thread_.join();
        return r;
    }
    void cancel() { cancel_ = true; }
    std::string stages() {
        std::lock_guard lock(mu_);
        std::string out;
        for (const auto& s : stages_) out += "\n  " + s;
        return out;
    }

  private:
    DirectOptions options_;
    std::atomic<bool> cancel_{false};
    std::promise<std::string> code_;
    std::future<std::string> code_future_ = code_.get_future();
    std::promise<Result<DirectInviteOutcome>> result_;
    std::future<Result<DirectInviteOutcome>> result_future_ = result_.get_future();
    std::mutex mu_;
    std::vector<std::string> stages_;
    std::thread thread_;
};

std::string wrong_code(const std::string& code) {
    const auto dash = code.find('-');
    const int n = std::stoi(code.substr(0, dash));
    return std::to_string(n == 999 ? 1 : n + 1) + code.substr(dash);
}

// Every byte of every file under dir, for the "holds neither RN1 nor the code" check.
std::string all_bytes_under(const std::filesystem::path& dir) {
    std::string out;
    for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
        if (!f.is_regular_file()) continue;
        std::ifstream in(f.path(), std::ios::binary);
        out.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
}

class DirectRouteTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(d.start());
        alice = d.member("alice");
        bob = d.member("bob");
        ASSERT_TRUE(alice && bob);
        ASSERT_TRUE(alice->create_group(kGroup, GroupPolicyOptions{}).ok());
    }
    Deployment d;
    std::unique_ptr<Member> alice, bob;
};

TEST_F(DirectRouteTest, MatchingCodeDeliversRn1OverTheChannel) {
    Inviter inviter(*alice, "bob", loopback());
    const std::string code = inviter.code();
    ASSERT_FALSE(code.empty()) << inviter.stages();
    std::vector<std::string> stages;
    DirectOptions o = loopback();
    o.progress = [&](const DirectProgress& p) { stages.push_back(p.stage); };
    auto accepted = bob->accept_direct("alice", code, o);
    ASSERT_TRUE(accepted.ok()) << accepted.error().message << inviter.stages();
    auto invited = inviter.result();
    ASSERT_TRUE(invited.ok()) << invited.error().message << inviter.stages();

    EXPECT_EQ(invited->pair, "host");
    EXPECT_EQ(accepted->pair, "host");
    EXPECT_FALSE(invited->fell_back);
    EXPECT_TRUE(accepted->joined);
    EXPECT_EQ(accepted->group, kGroup);
    for (const char* stage : {"gathering", "answer sent", "checking", "connected", "handshake", "rn1 received"}) {
        EXPECT_NE(std::find(stages.begin(), stages.end(), stage), stages.end()) << stage;
    }
    EXPECT_NE(inviter.stages().find("rn1 sent"), std::string::npos) << inviter.stages();

    auto ka = alice->current_keys(kGroup);
    auto kb = bob->current_keys(kGroup);
    ASSERT_TRUE(ka.ok() && kb.ok());
    EXPECT_EQ(ka->gk_hex, kb->gk_hex);
    EXPECT_EQ(ka->rn1_hex, kb->rn1_hex);
    ASSERT_TRUE(alice->send(kGroup, "over the direct route").ok());
    sync(*bob);
    EXPECT_TRUE(message_with(recv(*bob, kGroup), "over the direct route"));

    // RN1 never touched a server, not even sealed in a mailbox; the code neither.
    const std::string servers = all_bytes_under(d.gms_dir()) + all_bytes_under(d.relay_dir());
    Bytes rn1(ka->rn1_hex.size() / 2);
    ASSERT_TRUE(crypto::from_hex(ka->rn1_hex, rn1, "rn1").ok());
    EXPECT_EQ(servers.find(std::string(rn1.begin(), rn1.end())), std::string::npos);
    EXPECT_EQ(servers.find(ka->rn1_hex), std::string::npos);
    EXPECT_EQ(servers.find(code), std::string::npos);
}

TEST_F(DirectRouteTest, WrongCodeFailsAndTheThirdVoidsTheInvitation) {
    Inviter inviter(*alice, "bob", loopback());
    const std::string code = inviter.code();
    ASSERT_FALSE(code.empty());
    for (int attempt = 1; attempt <= 3; ++attempt) {
        auto r = bob->accept_direct("alice", wrong_code(code), loopback());
        ASSERT_FALSE(r.ok()) << "attempt " << attempt;
        EXPECT_NE(r.error().message.find("invitation code does not match"), std::string::npos)
            << r.error().message << inviter.stages();
    }
    auto invited = inviter.result();
    ASSERT_FALSE(invited.ok());
    EXPECT_NE(invited.error().message.find("invitation code does not match (3 of 3 tries)"), std::string::npos)
        << invited.error().message;
    EXPECT_NE(invited.error().message.find("void"), std::string::npos);
    // The right code now finds nothing to answer: the invitation is over.
    DirectOptions quick = loopback();
    quick.connect_timeout = std::chrono::seconds(1);
    auto late = bob->accept_direct("alice", code, quick);
    ASSERT_FALSE(late.ok());
    EXPECT_NE(late.error().message.find("no direct invitation"), std::string::npos) << late.error().message;
    EXPECT_FALSE(bob->current_keys(kGroup).ok());
}

TEST_F(DirectRouteTest, WrongCodeThenTheRightOneJoins) {
    Inviter inviter(*alice, "bob", loopback());
    const std::string code = inviter.code();
    auto first = bob->accept_direct("alice", wrong_code(code), loopback());
    ASSERT_FALSE(first.ok());
    auto second = bob->accept_direct("alice", code, loopback());
    ASSERT_TRUE(second.ok()) << second.error().message << inviter.stages();
    EXPECT_TRUE(inviter.result().ok());
    EXPECT_NE(inviter.stages().find("code mismatch"), std::string::npos) << inviter.stages();
}

TEST_F(DirectRouteTest, ReplayedOfferIsRefused) {
    // A relay that keeps attempt 1's offer and delivers it again in place of attempt 2's.
    std::string first_offer;
    member_client::MemberTestSeam::tamper_direct_signalling(*bob, [&](int type, std::string& payload) {
        if (type != v1::ENVELOPE_TYPE_DIRECT_OFFER) return;
        if (first_offer.empty()) first_offer = payload;
        else payload = first_offer;
    });
    Inviter inviter(*alice, "bob", loopback());
    const std::string code = inviter.code();
    ASSERT_FALSE(bob->accept_direct("alice", wrong_code(code), loopback()).ok());
    DirectOptions quick = loopback();
    quick.connect_timeout = std::chrono::seconds(2);
    auto replayed = bob->accept_direct("alice", code, quick);
    ASSERT_FALSE(replayed.ok());
    const auto events = recv(*bob, std::nullopt);
    EXPECT_TRUE(has_event(events, Kind::refused, "replayed direct offer: attempt 1")) << describe(events);
    inviter.cancel();
    auto invited = inviter.result();
    ASSERT_FALSE(invited.ok());
    EXPECT_NE(invited.error().message.find("cancelled; the code is void"), std::string::npos)
        << invited.error().message;
}

TEST_F(DirectRouteTest, AlteredOfferIsRefused) {
    member_client::MemberTestSeam::tamper_direct_signalling(*bob, [&](int type, std::string& payload) {
        v1::DirectOffer o;
        if (type != v1::ENVELOPE_TYPE_DIRECT_OFFER || !o.ParseFromString(payload)) return;
        o.mutable_ice()->set_candidates(0, "1 1 UDP 2013266431 127.0.0.1 9 typ host");  // the relay's choice
        payload = o.SerializeAsString();
    });
    Inviter inviter(*alice, "bob", loopback());
    const std::string code = inviter.code();
    DirectOptions quick = loopback();
    quick.connect_timeout = std::chrono::seconds(2);
    ASSERT_FALSE(bob->accept_direct("alice", code, quick).ok());
    const auto events = recv(*bob, std::nullopt);
    EXPECT_TRUE(has_event(events, Kind::refused, "direct offer signature does not verify")) << describe(events);
    inviter.cancel();
    EXPECT_FALSE(inviter.result().ok());
}

// A relay that swaps the answer's candidates (for an address of its choosing).
TEST_F(DirectRouteTest, RelaySwappingCandidatesIsCaught) {
    member_client::MemberTestSeam::tamper_direct_signalling(*alice, [&](int type, std::string& payload) {
        v1::DirectAnswer a;
        if (type != v1::ENVELOPE_TYPE_DIRECT_ANSWER || !a.ParseFromString(payload)) return;
        a.mutable_ice()->set_candidates(0, "1 1 UDP 2013266431 127.0.0.1 9 typ host");
        payload = a.SerializeAsString();
    });
    Inviter inviter(*alice, "bob", loopback());
    const std::string code = inviter.code();
    DirectOptions quick = loopback();
    quick.connect_timeout = std::chrono::seconds(2);
    EXPECT_FALSE(bob->accept_direct("alice", code, quick).ok());  // alice never takes the answer
    inviter.cancel();
    EXPECT_FALSE(inviter.result().ok());
    EXPECT_NE(inviter.stages().find("refused: direct answer signature does not verify"), std::string::npos)
        << inviter.stages();
}

// A relay that answers with a key of its own, signing its own candidates and CPace point.
TEST_F(DirectRouteTest, RelaySwappingKeysIsCaught) {
    const auto mallory = crypto::SigningKey::generate();
    std::mutex mu;
    v1::DirectOffer seen;  // the relay sees the offer go by
    member_client::MemberTestSeam::tamper_direct_signalling(*bob, [&](int type, std::string& payload) {
        std::lock_guard lock(mu);
        if (type == v1::ENVELOPE_TYPE_DIRECT_OFFER) (void)seen.ParseFromString(payload);
    });
    member_client::MemberTestSeam::tamper_direct_signalling(*alice, [&](int type, std::string& payload) {
        std::lock_guard lock(mu);
        v1::DirectAnswer a;
        if (type != v1::ENVELOPE_TYPE_DIRECT_ANSWER || !a.ParseFromString(payload)) return;
        handshake::CpacePoint point{};
        std::copy(a.cpace_point().begin(), a.cpace_point().end(), point.begin());
        payload = member::make_direct_answer(mallory, seen, a.ice(), point).SerializeAsString();
    });
    Inviter inviter(*alice, "bob", loopback());
    const std::string code = inviter.code();
    DirectOptions quick = loopback();
    quick.connect_timeout = std::chrono::seconds(2);
    EXPECT_FALSE(bob->accept_direct("alice", code, quick).ok());
    inviter.cancel();
    EXPECT_FALSE(inviter.result().ok());
    EXPECT_NE(inviter.stages().find("refused: direct answer key differs from the key the GMS registered for the invitee"),
              std::string::npos)
        << inviter.stages();
}

TEST_F(DirectRouteTest, NoWorkingPairFailsNamingWhatWasTried) {
    Inviter inviter(*alice, "bob", loopback());
    const std::string code = inviter.code();
    // The invitee answers, then goes away before any check: no pair can work.
    DirectOptions gone = loopback();
    gone.cancelled = [] { return true; };
    EXPECT_FALSE(bob->accept_direct("alice", code, gone).ok());
    auto invited = inviter.result();
    ASSERT_FALSE(invited.ok());
    EXPECT_NE(invited.error().message.find("host"), std::string::npos) << invited.error().message;
    EXPECT_NE(invited.error().message.find("the code is void"), std::string::npos) << invited.error().message;
}

TEST_F(DirectRouteTest, PreferFallsBackToThePublicKeyRoute) {
    DirectOptions prefer = loopback();
    prefer.prefer = true;
    Inviter inviter(*alice, "bob", prefer);
    const std::string code = inviter.code();
    DirectOptions gone = loopback();
    gone.cancelled = [] { return true; };
    EXPECT_FALSE(bob->accept_direct("alice", code, gone).ok());
    auto invited = inviter.result();
    ASSERT_TRUE(invited.ok()) << invited.error().message;
    EXPECT_TRUE(invited->fell_back);
    EXPECT_NE(inviter.stages().find("fallback: no candidate pair worked"), std::string::npos) << inviter.stages();
    // The public-key route from here, as today.
    ASSERT_TRUE(bob->accept("alice").ok());
    const auto answered = sync(*alice);
    ASSERT_TRUE(has_event(answered, Kind::notice, "bob accepted: RN1 sent, GMS notified")) << describe(answered);
    const auto joined = sync(*bob);
    EXPECT_TRUE(has_event(joined, Kind::notice, "joined ops; group key ready")) << describe(joined);
}

}  // namespace
}  // namespace twofold::testing
