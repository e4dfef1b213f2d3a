#!/usr/bin/env bash
# Memberships that expire, from the command line (issue 14): group create's two rekey periods
# and max validity, shown by `groups`; invite --valid-for / --valid-until within the policy (a
# longer one refused naming the limit); `members` and `twofold-gms groups` show the validity;
# extend by a member with may_invite, refused with its reason otherwise. Real servers on loopback.
set -euo pipefail
BIN=$(cd "$1" && pwd)
source "$(dirname "$0")/../../scripts/lib/deployment.sh"
deployment_test_start twofold-validity
source "$(dirname "$0")/checks.sh"

start_servers
for m in alice bob carol; do init_member "$m" >/dev/null; done

tf alice group create lab --rn2-interval 600 --rn1-interval 2d --max-validity 2h >/dev/null
out=$(tf alice groups)
check "groups shows both rekey periods and the max validity" \
    '[[ $out == *"rekeys rn2 every 10m, rn1 every 2d"*"max validity 2h"* ]]'

status=0
err=$(tf alice invite lab bob --valid-for 3h 2>&1 >/dev/null) || status=$?
check "a validity beyond the policy is refused naming the limit" \
    '[[ $status -eq 1 && $err == *"exceeds the group'"'"'s max validity of 2h"* ]]'
status=0
err=$(tf alice invite lab bob --valid-until 2027-01-31 2>&1 >/dev/null) || status=$?
check "a malformed time is refused naming the format" '[[ $status -eq 1 && $err == *"YYYY-MM-DDTHH:MM"* ]]'

tf alice invite lab bob --valid-for 90m --may-invite >/dev/null
tf bob accept alice >/dev/null
tf alice sync >/dev/null
tf bob sync >/dev/null
until_bob=$(date -u -d "@$(( $(date +%s) + 5400 ))" +%Y-%m-%dT%H:%MZ)
tf alice invite lab carol --valid-until "$until_bob" >/dev/null
tf carol accept alice >/dev/null
tf alice sync >/dev/null
tf carol sync >/dev/null

out=$(tf alice members lab)
check "members shows bob's validity (90m from the add)" \
    '[[ $(grep "^bob " <<<"$out") == *"valid until "*" UTC" ]]'
check "members shows carol's validity as given" \
    '[[ $(grep "^carol " <<<"$out") == *"valid until $(date -u -d "$until_bob" "+%Y-%m-%d %H:%M"):00 UTC" ]]'
check "the founder's membership has no end" '[[ $(grep "^alice " <<<"$out") != *"valid until"* ]]'
gms_out=$("$BIN/twofold-gms" groups --data "$WORK/gms")
check "twofold-gms groups shows the validity" '[[ $(grep " carol " <<<"$gms_out") == *" UTC"* ]]'

status=0
err=$(tf carol extend lab bob --valid-for 1h 2>&1 >/dev/null) || status=$?
check "extend without may_invite is refused with its reason" '[[ $status -eq 1 && $err == *"may_invite"* ]]'
status=0
err=$(tf bob extend lab bob --valid-for 1h 2>&1 >/dev/null) || status=$?
check "extending one's own membership is refused" '[[ $status -eq 1 && $err == *"your own membership"* ]]'
out=$(tf bob extend lab carol --valid-for 1h)
check "extend --valid-for by a member with may_invite names the new end" \
    '[[ $out == "extended carol'"'"'s membership in «lab» until "*" UTC" ]]'
until_carol=$(date -u -d "@$(( $(date +%s) + 6000 ))" +%Y-%m-%dT%H:%MZ)
tf bob extend lab carol --valid-until "$until_carol" >/dev/null
out=$(tf alice members lab)
check "members shows the extended validity" \
    '[[ $(grep "^carol " <<<"$out") == *"valid until $(date -u -d "$until_carol" "+%Y-%m-%d %H:%M"):00 UTC" ]]'

checks_done
