#!/bin/sh
# Install what a fresh Debian machine lacks to build and test listheap; quiet when nothing is
# missing, so `make` can run it every time. Also fetches CMocka's source from Debian's `cmocka`
# source package (the only way to get CMocka for -m32 and for arm-none-eabi) into
# $LISTHEAP_BUILD/third_party/cmocka (default build/).
#
# Usage: tools/setup.sh            install/fetch what is missing
#        tools/setup.sh --check    exit 1 if anything is missing, install nothing
#        tools/setup.sh --rust     also Debian's Rust 1.63 (rustc, rust-src, compiler_builtins'
#                                  source): only `make test-rust`/`make run-rust` ask for it, so
#                                  `make run` and the C suites never install Rust (rust/README.md)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${LISTHEAP_BUILD:-$top/build}
cmocka_dir=$build/third_party/cmocka
check_only=0
rust=0
for arg in "$@"; do
    case $arg in
    --check) check_only=1 ;;
    --rust) rust=1 ;;
    *) printf 'usage: %s [--check] [--rust]\n' "$0" >&2; exit 2 ;;
    esac
done

say() { printf 'setup: %s\n' "$*" >&2; }

missing=""
want() { # want <package> <test command...>
    pkg=$1
    shift
    "$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
have() { command -v "$1"; }
compiles_m32() { printf 'int main(void){return 0;}\n' | gcc -m32 -x c - -o /dev/null; }
has_file() { [ -e "$1" ]; }
compiles_fuzzer() {
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return (int)n * 0; }\n' |
        clang -fsanitize=fuzzer -x c - -o /dev/null
}
# Some kernels (e.g. VMs built without IA32 emulation) cannot execute -m32 binaries: the host32
# and checked suites then run under qemu-i386 (tools/run32.sh), which qemu-user provides.
runs_m32() {
    t=$(mktemp)
    printf 'int main(void){return 0;}\n' | gcc -m32 -x c - -o "$t" 2>/dev/null && "$t"
    rc=$?
    rm -f "$t"
    return $rc
}
runs_m32_somehow() { runs_m32 || have qemu-i386; }
arm_lib() { has_file "$(arm-none-eabi-gcc -print-file-name="$1")" && [ "$(arm-none-eabi-gcc -print-file-name="$1")" != "$1" ]; }

want gcc have gcc
want make have make
want cmake have cmake
want gcc-multilib compiles_m32
want qemu-user runs_m32_somehow
want libcmocka-dev has_file /usr/include/cmocka.h
want gcc-arm-none-eabi have arm-none-eabi-gcc
want libnewlib-arm-none-eabi arm_lib libc_nano.a
want libstdc++-arm-none-eabi-newlib arm_lib libstdc++_nano.a
want qemu-system-arm have qemu-system-arm
want cppcheck have cppcheck
want gcovr have gcovr
want dpkg-dev have dpkg-source
want clang have clang
want libclang-rt-14-dev compiles_fuzzer
want picolibc-arm-none-eabi has_file /usr/lib/picolibc/arm-none-eabi/picolibc.specs
want gnuplot-nox have gnuplot
want python3 have python3
want valgrind have valgrind
if [ $rust -eq 1 ]; then
    # /usr/bin/rustc by its path: a rustup toolchain earlier in PATH has no thumb targets
    want rustc has_file /usr/bin/rustc
    want rust-src has_file /usr/src/rustc-1.63.0/library/alloc/src/lib.rs
    want librust-compiler-builtins-dev has_file /usr/share/cargo/registry/compiler_builtins-0.1.70/src/lib.rs
fi

need_source=0
[ -f "$cmocka_dir/src/cmocka.c" ] || need_source=1

if [ -z "$missing" ] && [ $need_source -eq 0 ]; then
    exit 0
fi
if [ $check_only -eq 1 ]; then
    [ -n "$missing" ] && say "missing packages:$missing"
    [ $need_source -eq 1 ] && say "missing CMocka source in $cmocka_dir"
    exit 1
fi

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo "$@"
    else
        say "need root to run: $*"
        say "run tools/setup.sh as root (or with password-less sudo), or install:$missing"
        exit 1
    fi
}

if [ -n "$missing" ]; then
    say "installing:$missing"
    as_root apt-get update -qq >/dev/null || { say "apt-get update failed"; exit 1; }
    # shellcheck disable=SC2086
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
        say "apt-get install failed for:$missing (is Debian's archive reachable?)"
        exit 1
    fi
fi

# A deb-src entry mirroring the machine's own Debian archive, so that `apt-get source` works.
ensure_deb_src() {
    if apt-get source --print-uris cmocka >/dev/null 2>&1; then
        return 0
    fi
    src=/etc/apt/sources.list.d/listheap-deb-src.sources
    if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
        for f in /etc/apt/sources.list.d/*.sources; do
            [ "$f" = "$src" ] && continue
            grep -q 'deb.debian.org\|debian' "$f" || continue
            sed -n 's/^Types: deb$/Types: deb-src/; p' "$f"
            echo
        done >/tmp/listheap-deb-src.$$
    fi
    if [ -f /etc/apt/sources.list ]; then
        grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >/tmp/listheap-deb-src-list.$$ || true
        if [ -s /tmp/listheap-deb-src-list.$$ ]; then
            as_root cp /tmp/listheap-deb-src-list.$$ /etc/apt/sources.list.d/listheap-deb-src.list
        fi
        rm -f /tmp/listheap-deb-src-list.$$
    fi
    if [ -s /tmp/listheap-deb-src.$$ ]; then
        as_root cp /tmp/listheap-deb-src.$$ "$src"
    fi
    rm -f /tmp/listheap-deb-src.$$
    as_root apt-get update -qq >/dev/null || { say "apt-get update (deb-src) failed"; exit 1; }
}

if [ $need_source -eq 1 ]; then
    ensure_deb_src
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && apt-get source -qq cmocka >/dev/null 2>&1); then
        rm -rf "$tmp"
        say "could not fetch Debian's cmocka source package (apt-get source cmocka)"
        exit 1
    fi
    mkdir -p "$build/third_party"
    rm -rf "$cmocka_dir"
    mv "$tmp"/cmocka-*/ "$cmocka_dir"
    rm -rf "$tmp"
    say "CMocka source in $cmocka_dir"
fi
