#include "outcome_lines.h"

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

namespace twofold::cli {

namespace {

using json = nlohmann::json;

std::string quoted(const std::string& group) { return "«" + group + "»"; }

// Rights as people say them: "(may invite, may remove)", or nothing.
std::string rights_phrase(const Rights& r) {
    if (!r.may_invite && !r.may_remove) return "";
    if (r.may_invite && r.may_remove) return " (may invite, may remove)";
    return r.may_invite ? " (may invite)" : " (may remove)";
}

void emit(const json& object, const std::string& line, bool as_json) {
    std::cout << (as_json ? object.dump() : line) << '\n';
}

}  // namespace

json rights_json(const Rights& r) { return {{"may_invite", r.may_invite}, {"may_remove", r.may_remove}}; }

std::string rights_text(const Rights& r) {
    std::string out;
    if (r.may_invite) out += "may_invite ";
    if (r.may_remove) out += "may_remove ";
    if (out.empty()) return "-";
    out.pop_back();
    return out;
}

void print_invited(const InviteOutcome& o, bool as_json) {
    const std::string next = o.invitee + " can accept now; you will hand over RN1 at your next sync";
    emit({{"event", "invited"},
          {"group", o.group},
          {"invitee", o.invitee},
          {"rights", rights_json(o.rights)},
          {"next", next}},
         "invited " + o.invitee + " to " + quoted(o.group) + rights_phrase(o.rights) + "; " + next +
             " (`twofold sync`, or a running `twofold chat`)",
         as_json);
}

void print_accepted(const AcceptOutcome& o, bool as_json) {
    const std::string next =
        o.inviter + " hands over RN1 at their next sync; then your next command completes the join";
    emit({{"event", "accepted"}, {"group", o.group}, {"group_id", o.group_id}, {"inviter", o.inviter}, {"next", next}},
         "accepted " + o.inviter + "'s invitation to " + quoted(o.group) + "; " + next, as_json);
}

void print_sent(const SendOutcome& o, bool as_json) {
    emit({{"event", "sent"}, {"group", o.group}, {"rn1_generation", o.rn1_generation}, {"rn2_epoch", o.rn2_epoch}},
         "sent to " + quoted(o.group) + " at epoch " + std::to_string(o.rn1_generation) + "." +
             std::to_string(o.rn2_epoch) + "; members read it with `twofold recv`",
         as_json);
}

void print_removed(const RemoveOutcome& o, bool as_json) {
    std::string line = "removed " + o.account + " from " + quoted(o.group) + ": membership epoch " +
                       std::to_string(o.membership_epoch) + ", RN2 renewed";
    if (o.rn1_rotated) line += ", RN1 rotated to generation " + std::to_string(o.rn1_generation);
    line += "; " + o.account + " cannot read what is sent from now on";
    emit({{"event", "removed"},
          {"group", o.group},
          {"account", o.account},
          {"membership_epoch", o.membership_epoch},
          {"rn1_rotated", o.rn1_rotated},
          {"rn1_generation", o.rn1_generation}},
         line, as_json);
}

void print_left(const LeaveOutcome& o, bool as_json) {
    emit({{"event", "left"}, {"group", o.group}, {"membership_epoch", o.membership_epoch}},
         "left " + quoted(o.group) + " (membership epoch " + std::to_string(o.membership_epoch) +
             "); your keys for it are wiped",
         as_json);
}

void print_rotated(const RotateOutcome& o, bool as_json) {
    const std::string line =
        o.won ? "RN1 of " + quoted(o.group) + " rotated to generation " + std::to_string(o.rn1_generation) +
                    ", sealed to every member; they take it at their next sync"
              : "another member claimed RN1 generation " + std::to_string(o.rn1_generation) + " of " + quoted(o.group) +
                    " first; yours was not sent, theirs is taken when it arrives";
    emit({{"event", o.won ? "rotated" : "rotation_lost"}, {"group", o.group}, {"rn1_generation", o.rn1_generation}},
         line, as_json);
}

// Notices say what the sync did; messages wait for `twofold recv`, which shows everything.
void print_synced(const std::vector<Event>& events, bool as_json) {
    std::size_t messages = 0;
    std::size_t notices = 0;
    for (const auto& e : events) {
        if (e.kind == Event::Kind::message) {
            ++messages;
            continue;
        }
        ++notices;
        if (!as_json) std::cout << (e.kind == Event::Kind::notice ? "* " : "! ") << e.group << ": " << e.text << '\n';
    }
    emit({{"event", "synced"}, {"messages", messages}, {"notices", notices}},
         "synced: " + std::to_string(messages) + " new message" + (messages == 1 ? "" : "s") + ", " +
             std::to_string(notices) + " notice" + (notices == 1 ? "" : "s") +
             (messages + notices > 0 ? "; `twofold recv` shows them" : ""),
         as_json);
}

void print_invitation(const InvitationInfo& i, bool as_json) {
    emit({{"group_id", i.group_id},
          {"group", i.group_name},
          {"inviter", i.inviter},
          {"rights", rights_json(i.rights)},
          {"accepted", i.accepted}},
         i.inviter + " invites you to " + quoted(i.group_name) + rights_phrase(i.rights) + "  id " +
             i.group_id.substr(0, 8) +
             (i.accepted ? "  accepted: " + i.inviter + "'s next sync hands over RN1"
                         : "  (`twofold accept " + i.group_name + "`)"),
         as_json);
}

void print_status(const StatusReport& r, bool as_json) {
    if (as_json) {
        json servers = json::array();
        for (const auto& s : r.servers) {
            servers.push_back({{"role", s.role},
                               {"address", s.address},
                               {"fingerprint", s.fingerprint},
                               {"reachable", s.reachable},
                               {"error", s.error}});
        }
        json groups = json::array();
        for (const auto& g : r.groups) {
            groups.push_back({{"id", g.id},
                              {"name", g.name},
                              {"state", g.state},
                              {"rn1_generation", g.rn1_generation},
                              {"rn2_epoch", g.rn2_epoch},
                              {"membership_epoch", g.membership_epoch}});
        }
        json invitations = json::array();
        for (const auto& i : r.invitations) {
            invitations.push_back(
                {{"group_id", i.group_id}, {"group", i.group_name}, {"inviter", i.inviter}, {"accepted", i.accepted}});
        }
        std::cout << json{{"account", r.account},
                          {"servers", servers},
                          {"groups", groups},
                          {"invitations", invitations},
                          {"deferred_envelopes", r.deferred_envelopes}}
                         .dump()
                  << '\n';
        return;
    }
    std::cout << "account " << r.account << '\n';
    for (const auto& s : r.servers) {
        std::cout << s.role << "  " << s.address << "  " << s.fingerprint << "  "
                  << (s.reachable ? "reachable" : "unreachable: " + s.error) << '\n';
    }
    for (const auto& g : r.groups) {
        std::cout << "group " << (g.name.empty() ? "(unnamed)" : quoted(g.name)) << "  " << g.state << "  epoch "
                  << g.rn1_generation << "." << g.rn2_epoch << "  members@" << g.membership_epoch << '\n';
    }
    for (const auto& i : r.invitations) {
        std::cout << "invitation " << quoted(i.group_name) << " from " << i.inviter
                  << (i.accepted ? "  accepted, waiting for RN1" : "  not accepted") << '\n';
    }
    std::cout << "deferred envelopes " << r.deferred_envelopes << '\n';
}

// The direct route's steps, one line each as they happen ("direct: connected via host ...").
void print_direct_progress(const DirectProgress& p, bool as_json) {
    // at_ms (wall clock, ms since 1970) lets the NAT lab's benchmark time the steps of two processes.
    const auto at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    emit({{"event", "direct"}, {"stage", p.stage}, {"detail", p.detail}, {"at_ms", at_ms}},
         "direct: " + p.stage + (p.detail.empty() ? "" : " — " + p.detail), as_json);
    std::cout.flush();
}

void print_direct_invited(const DirectInviteOutcome& o, bool as_json) {
    if (o.fell_back) {
        print_invited(InviteOutcome{o.group, o.invitee, o.rights}, as_json);
        return;
    }
    emit({{"event", "invited_direct"},
          {"group", o.group},
          {"invitee", o.invitee},
          {"rights", rights_json(o.rights)},
          {"pair", o.pair},
          {"membership_epoch", o.membership_epoch}},
         o.invitee + " joined " + quoted(o.group) + rights_phrase(o.rights) + " by the direct route (" + o.pair +
             " pair): RN1 sent over the channel, GMS notified, membership epoch " + std::to_string(o.membership_epoch),
         as_json);
}

void print_direct_accepted(const DirectAcceptOutcome& o, bool as_json) {
    const std::string next = o.joined ? "group key ready; `twofold send " + o.group + " TEXT`"
                                      : "RN2 comes from the GMS at your next command";
    emit({{"event", "accepted_direct"},
          {"group", o.group},
          {"group_id", o.group_id},
          {"inviter", o.inviter},
          {"pair", o.pair},
          {"joined", o.joined},
          {"next", next}},
         "joined " + quoted(o.group) + " from " + o.inviter + " by the direct route (" + o.pair +
             " pair): RN1 received over the channel; " + next,
         as_json);
}

}  // namespace twofold::cli
