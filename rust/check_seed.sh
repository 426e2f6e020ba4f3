#!/bin/sh
# rust/check_seed.sh <log> - what `make run-rust` must print (make test-rust checks it; the
# firmware's own exit status is checked separately). Each finding is named; exit 1 if any.
set -u
log=$1
bad=0
fail() { echo "check_seed: $*" >&2; bad=1; }
need() { grep -q -- "$1" "$log" || fail "no line matching '$1'"; }

# experiment 1: boxes at successive, equally spaced addresses, then one OOM report and the panic
awk '/^-- heap_test without heap_free/ { on = 1; next } /^OOM: / { exit } on && /^Boxed:0x/ { print substr($0, 7) }' "$log" >"$log.exp1"
n=$(wc -l <"$log.exp1")
[ "$n" -ge 2 ] || fail "experiment 1 shows $n boxes before the OOM, want at least 2"
steps=$(prev=""; while read -r a; do [ -n "$prev" ] && echo $((a - prev)); prev=$a; done <"$log.exp1" | sort -u)
{ [ "$(echo "$steps" | wc -l)" -eq 1 ] && [ "${steps:-0}" -gt 0 ]; } 2>/dev/null ||
    fail "experiment 1's boxes are not at successive, equally spaced addresses (steps: $(echo $steps))"
[ "$(grep -c '^OOM: listheap_oom_hook(' "$log")" -eq 1 ] || fail "not exactly one OOM report from listheap_oom_hook"
grep -A1 '^OOM: listheap_oom_hook(' "$log" | grep -q "^panic: .*memory allocation of [0-9]* bytes failed" ||
    fail "the OOM report is not followed by Rust's allocation-error panic"
# experiment 2: five boxes, one address
awk '/^-- heap_test \+ heap_free/ { on = 1; next } /^same address|^ADDRESS/ { exit } on && /^Boxed:0x/' "$log" >"$log.exp2"
[ "$(wc -l <"$log.exp2")" -eq 5 ] || fail "experiment 2 shows $(wc -l <"$log.exp2") boxes, want 5"
[ "$(sort -u "$log.exp2" | wc -l)" -eq 1 ] || fail "experiment 2's boxes are not all at one address"
need '^same address every time$'
# experiment 3: one heap map with C, newlib and Rust blocks, all used
for owner in 'C malloc' 'newlib stdout buffer' 'Rust Vec<u32>' 'Rust String'; do
    grep -q "^  used 0x[0-9a-f]* *[0-9]* bytes  $owner\$" "$log" || fail "the heap map has no used block of $owner"
done
need '^seed_rust: every expectation held$'
rm -f "$log.exp1" "$log.exp2"
[ $bad -eq 0 ] && echo "check_seed: boxes $n, one OOM then the panic, one address with heap_free, C + newlib + Rust in one heap map"
exit $bad
