# The CLI tests' checks: `check NAME CONDITION` prints ok/FAIL and counts failures;
# `checks_done` ends the test, failing it if any check failed. Sourced, not run.
failures=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi; }
checks_done() {
    [[ $failures -eq 0 ]] || { echo "$failures check(s) failed"; exit 1; }
    exit 0
}
