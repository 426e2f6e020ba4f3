#!/bin/sh
# qemu/run.sh <board> <elf> [timeout_s] - run a listheap firmware under QEMU; exit with its status.
#
#   board      mps2-an500     Cortex-M7; console = semihosting (stdout/stderr of this script)
#              netduinoplus2  STM32F405 (Cortex-M4F); console = USART1 on this script's stdio
#   elf        the image, linked with ld/<board>.ld
#   timeout_s  wall-clock limit, default 60
#
# Exit status: the firmware's own, 0-255 (exit()/return from main, carried out by semihosting
# SYS_EXIT_EXTENDED); 3 = the firmware faulted (qemu/startup.c reported it on stderr);
# 128+N = it raised signal N (abort() = 134); 124 = timed out ("TIMEOUT after N s: <elf>" on
# stderr); 125 = this script was misused or QEMU is missing. 134 is also what QEMU itself
# returns when the core locks up (a fault inside a fault handler; "qemu: fatal: Lockup" on
# stderr).
#
# Environment:
#   ICOUNT      enable instruction counting: a number S gives `-icount shift=S`; anything else
#               is passed as the -icount argument (e.g. ICOUNT=shift=10,sleep=off). Timer
#               interrupts and cycle measurements need it (see FACTS.md).
#   QEMU        the emulator binary (default qemu-system-arm)
#   QEMU_EXTRA  further QEMU arguments, e.g. "-d guest_errors"
set -u

usage() {
    echo "usage: $0 <mps2-an500|netduinoplus2> <elf> [timeout_s]" >&2
    exit 125
}

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    usage
fi
board=$1
elf=$2
limit=${3:-60}
qemu=${QEMU:-qemu-system-arm}

case $board in
mps2-an500 | netduinoplus2) ;;
*) usage ;;
esac
case $limit in
'' | *[!0-9]*) echo "run.sh: timeout must be a whole number of seconds: $limit" >&2; exit 125 ;;
esac
[ -f "$elf" ] || { echo "run.sh: no such file: $elf" >&2; exit 125; }
command -v "$qemu" >/dev/null 2>&1 || { echo "run.sh: $qemu not found" >&2; exit 125; }

# QEMU's stdio backend needs an open stdin (CI may run us with none).
if ! (exec 3<&0) 2>/dev/null; then
    exec </dev/null
fi

case $board in
mps2-an500)
    # Semihosting console; the board's UARTs go nowhere (and leave stdin to semihosting).
    set -- -M mps2-an500 -serial null
    ;;
netduinoplus2)
    # USART1 is serial port 0.
    set -- -M netduinoplus2 -serial stdio
    ;;
esac

set -- "$@" -nographic -monitor none \
    -semihosting-config enable=on,target=native \
    -kernel "$elf"

if [ -n "${ICOUNT:-}" ]; then
    case $ICOUNT in
    *[!0-9]*) set -- "$@" -icount "$ICOUNT" ;;
    *) set -- "$@" -icount "shift=$ICOUNT" ;;
    esac
fi

started=$(date +%s)
# shellcheck disable=SC2086 # QEMU_EXTRA is a list of words on purpose
timeout --kill-after=5 "$limit" "$qemu" "$@" ${QEMU_EXTRA:-}
status=$?
# 124 (or 137 after the KILL) from timeout itself, not from a firmware that exited so early.
if { [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; } && [ $(($(date +%s) - started)) -ge "$limit" ]; then
    echo "TIMEOUT after $limit s: $elf" >&2
    exit 124
fi
exit "$status"
