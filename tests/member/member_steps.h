// The steps every end-to-end member test takes, with the failures reported as gtest failures:
// sync, recv, a group's info, the paper's join (Fig. 7), and reading the events they bring.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "twofold/member.h"

namespace twofold::testing {

using Kind = Event::Kind;

inline std::string describe(const std::vector<Event>& events) {
    std::string out;
    for (const auto& e : events) {
        const char* kind = e.kind == Kind::message   ? "message"
                           : e.kind == Kind::notice  ? "notice"
                           : e.kind == Kind::missing ? "missing"
                                                     : "refused";
        out += std::string("\n  [") + kind + "] " + e.group + " " + e.sender + ": " + e.text;
    }
    return out;
}

inline bool has_event(const std::vector<Event>& events, Kind kind, const std::string& part) {
    return std::any_of(events.begin(), events.end(),
                       [&](const Event& e) { return e.kind == kind && e.text.find(part) != std::string::npos; });
}

inline std::vector<std::string> texts(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) {
        if (e.kind == Kind::message) out.push_back(e.sender + ": " + e.text);
    }
    return out;
}

inline const Event* message_with(const std::vector<Event>& events, const std::string& text) {
    for (const auto& e : events) {
        if (e.kind == Kind::message && e.text == text) return &e;
    }
    return nullptr;
}

inline std::vector<Event> sync(Member& m) {
    auto events = m.sync();
    EXPECT_TRUE(events.ok()) << m.account() << " sync: " << events.error().message;
    return events.ok() ? *events : std::vector<Event>{};
}

inline std::vector<Event> recv(Member& m, const std::optional<std::string>& group) {
    auto events = m.recv(group);
    EXPECT_TRUE(events.ok()) << m.account() << " recv: " << events.error().message;
    return events.ok() ? *events : std::vector<Event>{};
}

inline GroupInfo info(Member& m, const std::string& group) {
    auto all = m.groups();
    EXPECT_TRUE(all.ok()) << all.error().message;
    if (all.ok()) {
        for (const auto& g : *all) {
            if (g.name == group) return g;
        }
    }
    ADD_FAILURE() << m.account() << " holds no group " << group;
    return {};
}

// Fig. 7: invite, accept, the inviter's sync (RN1 sealed to the invitee, the GMS notified), the
// invitee's sync (RN1 and the name opened, RN2 from the welcome, GK derived).
inline void join(Member& inviter, Member& invitee, const std::string& group, Rights rights = {}) {
    ASSERT_TRUE(inviter.invite(group, invitee.account(), rights).ok());
    ASSERT_TRUE(invitee.accept(inviter.account()).ok());
    const auto answered = sync(inviter);
    ASSERT_TRUE(has_event(answered, Kind::notice, invitee.account() + " accepted: RN1 sent, GMS notified"))
        << describe(answered);
    const auto joined = sync(invitee);
    ASSERT_TRUE(has_event(joined, Kind::notice, "joined " + group + "; group key ready")) << describe(joined);
}

}  // namespace twofold::testing
