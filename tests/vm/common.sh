# Shared by the guest scripts (sourced after lib.sh): module and device helpers.
# Paths are the host's: scripts/vm runs us in the host root, cwd = the repo.

# The module built for the running kernel, chosen by vermagic among KO... (a mismatch
# cannot be loaded): prints it, or fails when none fits.
biochain_ko_for_kernel() {
  local ko
  for ko in "$@"; do
    [ -f "$ko" ] || continue
    [ "$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)" = "$(uname -r)" ] && { echo "$ko"; return; }
  done
  return 1
}
# The tree's own (make module, 6.1), or for another kernel the copy make module-NAME builds
# under build/probe-NAME (make vm-check-NAME boots that kernel); else the tree's, and
# insmod says why it does not fit.
BIOCHAIN_KO=${BIOCHAIN_KO:-$(biochain_ko_for_kernel "$PWD/biochain.ko" "${REPO:-$PWD}"/build/probe-*/biochain.ko ||
                             echo "$PWD/biochain.ko")}
DEBUGFS=/sys/kernel/debug/biochain

load_biochain() {
  modprobe dm-mod || return
  grep -q '^biochain ' /proc/modules || insmod_biochain
}

# insmod_biochain [PARAM=VALUE...]: insmod, and record where this load's code lies for
# tests/vm/kmemleak (a leak's frames keep their addresses after the module is gone).
insmod_biochain() {
  insmod "$BIOCHAIN_KO" "$@" || return
  module_code biochain "$BIOCHAIN_KO" >>"$RESULTS/biochain-code"
}

# module_code NAME KO: the loaded module NAME's code as "start end" lines (hex, end
# excluded): its core (base and size from /proc/modules) and its init text (address from
# sysfs, size from KO's section table).
module_code() {
  local name=$1 ko=$2 size base init init_size
  read -r _ size _ _ _ base _ < <(grep "^$name " /proc/modules) || return
  printf '%x %x\n' $((base)) $((base + size))
  init=$(cat "/sys/module/$name/sections/.init.text" 2>/dev/null || true)
  init_size=$(readelf -SW "$ko" | sed -n 's/.* \.init\.text  *PROGBITS  *[0-9a-f]*  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p')
  [ -z "$init" ] || [ -z "$init_size" ] || printf '%x %x\n' $((init)) $((init + 16#$init_size))
}

# Objects core/ holds right now (module/env.c); 0 when no biochain device exists.
live_allocations() { cat "$DEBUGFS/live_allocations"; }

expect_eq() { # expect_eq WHAT EXPECTED ACTUAL
  [ "$2" = "$3" ] && return 0
  echo "$1: expected '$2', got '$3'"
  return 1
}

# Nothing of biochain left behind: no device, no open lower device, no core allocation,
# no module reference.
nothing_left_behind() {
  local disk leftovers
  leftovers=$(dmsetup table 2>/dev/null | grep ' biochain ' || true)
  [ -z "$leftovers" ] || { echo "biochain devices remain: $leftovers"; return 1; }
  for disk in $DISKS; do
    disk=$(basename "$disk")
    [ -z "$(ls /sys/block/$disk/holders)" ] || { echo "$disk still held by $(ls /sys/block/$disk/holders)"; return 1; }
  done
  expect_eq "live core allocations" 0 "$(live_allocations)" || return
  expect_eq "module references" 0 "$(cat /sys/module/biochain/refcnt)"
}

# fio write-then-verify with crc32c; passes only on exit 0 and zero errors reported.
# FIO_SCALE=N (tests/vm/suite-debug) divides SIZE by N, down to 4M: on the debug kernel
# every path still runs many times over, in a fraction of the time. A check that depends
# on how much fio wrote asks scaled_mib for the same figure.
scaled_mib() { # scaled_mib MIB: what fio_verify writes for a SIZE of MIB M
  local mib=$(( $1 / ${FIO_SCALE:-1} ))
  echo $(( $1 < 4 ? $1 : (mib >= 4 ? mib : 4) ))
}
fio_verify() { # fio_verify NAME DEVICE SIZE [extra fio args...]
  local name=$1 dev=$2 size=$3 log=$RESULTS/fio-$1.txt
  [[ ! $size =~ ^[0-9]+M$ ]] || size=$(scaled_mib "${size%M}")M
  shift 3
  fio --name="$name" --filename="$dev" --ioengine=libaio --direct=1 --iodepth=16 \
    --rw=randwrite --bsrange=4k-128k --size="$size" --verify=crc32c --do_verify=1 \
    --verify_fatal=1 --verify_state_save=0 --randrepeat=0 "$@" >"$log" 2>&1
  local rc=$?
  [ $rc = 0 ] && grep -q 'err= 0' "$log" && ! grep -Eq 'err= *[1-9]|verify: bad' "$log" && return 0
  cat "$log"
  return 1
}

# The value of counter NAME in `dmsetup status DEV` ("... <name> <value> ...").
status_counter() { # status_counter DEV NAME
  dmsetup status "$1" | awk -v name="$2" '{ for (i = 1; i < NF; i++) if ($i == name) { print $(i + 1); exit } }'
}
