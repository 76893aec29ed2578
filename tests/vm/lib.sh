# shellcheck shell=bash
# Tiny TAP helpers for the guest scripts run by scripts/vm (bash; source it, do not run it).
#
#   tap_plan N            print the plan "1..N"
#   ok "desc"             record a pass:  "ok 3 - desc"
#   not_ok "desc" [diag]  record a failure: "not ok 4 - desc", diag lines as "# ..."
#   step "desc" cmd args  run cmd (output captured); ok/not ok by its exit status, with its
#                         output (last 100 lines) as "# ..." diagnostics on failure;
#                         returns cmd's status. TAP_VERBOSE=1 streams the output instead.
#   tap_diag msg...       print "# msg" (each line)
#   tap_done              print "# N passed, M failed"; nonzero if any failed or the
#                         number of tests run differs from the plan. End with: tap_done; exit
#
# Numbering is automatic. ok/not_ok/tap_diag return 0, so they are safe under set -e;
# step returns the command's status (use `step ... || true` under set -e to go on).

_tap_n=0
_tap_failed=0
_tap_planned=

tap_plan() {
  _tap_planned=$1
  echo "1..$1"
}

tap_diag() {
  local line
  printf '%s\n' "$*" | while IFS= read -r line; do echo "# $line"; done
  return 0
}

ok() {
  _tap_n=$((_tap_n + 1))
  echo "ok $_tap_n - $1"
}

not_ok() {
  _tap_n=$((_tap_n + 1))
  _tap_failed=$((_tap_failed + 1))
  echo "not ok $_tap_n - $1"
  [ $# -lt 2 ] || tap_diag "${*:2}"
  return 0
}

step() {
  local desc=$1 out rc=0 lines
  shift
  if [ "${TAP_VERBOSE:-0}" = 1 ]; then
    "$@" 2>&1 | sed -u 's/^/# /'
    rc=${PIPESTATUS[0]}
    if [ "$rc" = 0 ]; then ok "$desc"; else not_ok "$desc" "exit status $rc: $*"; fi
    return "$rc"
  fi
  out=$(mktemp "${TMPDIR:-/tmp}/tap-step.XXXXXX")
  "$@" >"$out" 2>&1 || rc=$?
  if [ "$rc" = 0 ]; then
    ok "$desc"
  else
    not_ok "$desc" "exit status $rc: $*"
    lines=$(wc -l <"$out")
    [ "$lines" -le 100 ] || tap_diag "... ($((lines - 100)) earlier lines left out)"
    tail -n 100 "$out" | sed 's/^/# /'
  fi
  rm -f "$out"
  return "$rc"
}

tap_done() {
  local passed=$((_tap_n - _tap_failed)) rc=0
  [ "$_tap_failed" = 0 ] || rc=1
  if [ -n "$_tap_planned" ] && [ "$_tap_planned" != "$_tap_n" ]; then
    echo "# planned $_tap_planned tests but ran $_tap_n"
    rc=1
  fi
  echo "# $passed passed, $_tap_failed failed"
  return "$rc"
}
