// What the member's commands print when they succeed: one line saying what happened and what
// happens next, or with --json the same as one JSON object (docs/member.md lists them).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "twofold/member.h"

namespace twofold::cli {

std::string rights_text(const Rights& r);  // "may_invite may_remove", or "-"
nlohmann::json rights_json(const Rights& r);

void print_invited(const InviteOutcome& o, bool as_json);
void print_accepted(const AcceptOutcome& o, bool as_json);
void print_sent(const SendOutcome& o, bool as_json);
void print_removed(const RemoveOutcome& o, bool as_json);
void print_left(const LeaveOutcome& o, bool as_json);
void print_rotated(const RotateOutcome& o, bool as_json);
void print_synced(const std::vector<Event>& events, bool as_json);
void print_invitation(const InvitationInfo& i, bool as_json);
void print_status(const StatusReport& r, bool as_json);
void print_direct_progress(const DirectProgress& p, bool as_json);
void print_direct_invited(const DirectInviteOutcome& o, bool as_json);
void print_direct_accepted(const DirectAcceptOutcome& o, bool as_json);

}  // namespace twofold::cli
