#!/bin/sh
# Run a 32-bit x86 host test binary: natively where the kernel can execute it, else under
# qemu-i386 (Debian's qemu-user; tools/setup.sh installs it on such machines). The decision is
# probed once per build directory and kept in $LISTHEAP_BUILD/run32.mode.
#
# Usage: tools/run32.sh BINARY [ARGS...]
#        tools/run32.sh --mode        prints native or qemu
set -eu
build=${LISTHEAP_BUILD:-build}
mode_file=$build/run32.mode
if [ ! -f "$mode_file" ]; then
    mkdir -p "$build"
    probe=$build/run32.probe
    printf 'int main(void){return 0;}\n' | gcc -m32 -x c - -o "$probe"
    if "$probe" 2>/dev/null; then echo native >"$mode_file"; else echo qemu >"$mode_file"; fi
    rm -f "$probe"
fi
if [ "${1:-}" = --mode ]; then
    cat "$mode_file"
    exit 0
fi
if [ "$(cat "$mode_file")" = native ]; then
    exec "$@"
fi
command -v qemu-i386 >/dev/null 2>&1 || {
    echo "run32: this kernel cannot execute 32-bit x86 binaries and qemu-i386 is missing: run tools/setup.sh" >&2
    exit 1
}
exec qemu-i386 "$@"
