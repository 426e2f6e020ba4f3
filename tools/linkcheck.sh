#!/bin/sh
# Link checks for listheap images and libraries (run by `make test`).
#
#   tools/linkcheck.sh family               print the malloc family, derived from the installed
#                                           newlib and newlib-nano (see below)
#   tools/linkcheck.sh lib <liblistheap.a>...  each library defines every symbol of that family
#   tools/linkcheck.sh elf <image.elf> <image.map>
#                                           the image has no _sbrk/_sbrk_r and links no newlib
#                                           malloc member; malloc and _malloc_r are listheap's
#   tools/linkcheck.sh uses <image.map> <function>...
#                                           each function is in the image and is listheap's
#   tools/linkcheck.sh stack <image.elf>      the heap does not overlap [_estack - _Min_Stack_Size, _estack)
#   tools/linkcheck.sh lacks <image.map> <entry>...
#                                           the image holds no listheap code for these entry
#                                           points (realloc, calloc, memalign: see below)
#
# How the family is derived: the "seed" names below are the C/POSIX/newlib allocation entry
# points; every libc.a/libc_nano.a member that defines one of them is a malloc member, and
# every function such a member defines (e.g. _malloc_trim_r, which full newlib keeps beside
# _free_r) is required too, unless nothing outside the malloc members refers to it (then it
# is newlib-internal, e.g. __malloc_update_mallinfo, and this script says so).
set -eu
PREFIX=${PREFIX:-arm-none-eabi-}
NM=${PREFIX}nm
CPUFLAGS=${CPUFLAGS:--mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard}

seed_re='^_?(malloc|free|cfree|realloc|calloc|memalign|valloc|pvalloc|mallinfo|mallopt|mstats|malloc_usable_size|malloc_stats|malloc_trim)(_r)?$|^_?(cfree|aligned_alloc)(_r)?$'

libdir() {
    # shellcheck disable=SC2086
    dirname "$(${PREFIX}gcc $CPUFLAGS -print-file-name=libc.a)"
}

# "<lib> <member> <type> <symbol>" for every defined or undefined symbol of both libcs
all_symbols() {
    d=$(libdir)
    for lib in libc.a libc_nano.a; do
        $NM -A "$d/$lib" 2>/dev/null | awk -v lib="$lib" '
            NF == 3 { split($1, p, ":"); print lib, p[2], $2, $3 }
            NF == 2 { split($1, p, ":"); print lib, p[2], $1 == "" ? "U" : $1, $2 }'
    done
}

# "<lib> <member>" of every member that defines a seed
family_members() {
    all_symbols | awk '$3 ~ /^[TW]$/ {print $1, $2, $4}' | grep -E " ($(echo "$seed_re" | sed 's/\^//g; s/\$//g'))$" |
        awk '{print $1, $2}' | sort -u
}

family() {
    tmp=$(mktemp -d)
    all_symbols >"$tmp/all"
    family_members >"$tmp/members"
    # every function those members define
    awk 'NR == FNR { m[$1 " " $2] = 1; next } ($1 " " $2) in m && $3 ~ /^[TW]$/ { print $4 }' \
        "$tmp/members" "$tmp/all" | sort -u >"$tmp/defined"
    # undefined references from members outside the family
    awk 'NR == FNR { m[$1 " " $2] = 1; next } !(($1 " " $2) in m) && $3 == "U" { print $4 }' \
        "$tmp/members" "$tmp/all" | sort -u >"$tmp/used_outside"
    while read -r sym; do
        if echo "$sym" | grep -Eq "$seed_re" || grep -qx "$sym" "$tmp/used_outside"; then
            echo "$sym"
        else
            echo "internal: $sym (defined by a newlib malloc member, referenced by no other member)" >&2
        fi
    done <"$tmp/defined"
    rm -rf "$tmp"
}

# "<section> <file>" for every input section the map shows kept in the image (the memory map
# part, not "Discarded input sections"); ld puts a long section name on a line of its own and
# the address, size and file on the next.
kept_sections() {
    awk '/^Linker script and memory map/ { on = 1; next }
        !on { next }
        pending != "" { if ($1 ~ /^0x/ && NF >= 3) print pending, $3; pending = ""; next }
        /^ \.[^ ]+$/ { pending = $1; next }
        /^ \.[^ ]+ +0x/ && NF >= 4 { print $1, $4 }' "$1"
}
# The address of symbol $1 in the image $elf ("0x..."), or nothing; need: the same, or the
# script stops (an image without the symbol must fail a check, not pass it with 0).
sym() { $NM "$elf" | awk -v s="$1" '$3 == s {print "0x" $1}'; }
need() {
    v=$(sym "$1")
    [ -n "$v" ] || { echo "linkcheck: $elf has no symbol $1" >&2; exit 1; }
    echo "$v"
}

# listheap's own code: members of liblistheap*.a (whichever variant), or, for a project that
# compiles alloc/ with its own sources, the object of alloc/newlib/malloc_family.c (make:
# malloc_family.o, CMake: malloc_family.c.o/.obj), where every malloc-family entry point lives
listheap_file_re='liblistheap[A-Za-z0-9_]*\.a\(|(^|[ /])malloc_family\.(c\.)?o(bj)?$'

case "${1:-}" in
family)
    family
    ;;
lib)
    shift
    fam=$(family 2>/dev/null)
    count=$(echo "$fam" | wc -w)
    [ "$count" -ge 20 ] || { echo "linkcheck: derived family has only $count symbols: derivation broken" >&2; exit 1; }
    missing=0
    for lib in "$@"; do
        defined=$($NM -g --defined-only "$lib" 2>/dev/null | awk 'NF == 3 {print $3}')
        for sym in $fam; do
            if ! echo "$defined" | grep -qx "$sym"; then
                echo "linkcheck: $lib does not define $sym" >&2
                missing=1
            fi
        done
        [ $missing -eq 0 ] || exit 1
        echo "linkcheck: $lib defines all $count malloc-family symbols of newlib and newlib-nano"
    done
    ;;
elf)
    elf=$2
    map=$3
    bad=0
    if $NM "$elf" | grep -Eq ' _sbrk(_r)?$'; then
        echo "linkcheck: $elf contains _sbrk" >&2
        bad=1
    fi
    members=$(family_members | awk '{print $1 "(" $2 ")"}')
    [ -n "$members" ] || { echo "linkcheck: no newlib malloc members found: derivation broken" >&2; exit 1; }
    for m in $members; do
        if grep -qF "$m" "$map"; then
            echo "linkcheck: $elf links newlib's $m" >&2
            bad=1
        fi
    done
    for sym in malloc _malloc_r _free_r; do
        if $NM "$elf" | grep -Eq " [TtWw] $sym$" && ! grep -A2 -E "^ \.text\.$sym( |$)" "$map" | grep -Eq "$listheap_file_re"; then
            echo "linkcheck: $sym in $elf does not come from listheap" >&2
            bad=1
        fi
    done
    [ $bad -eq 0 ] || exit 1
    ;;
uses)
    # uses <image.map> <function>...: each function's section (-ffunction-sections: .text.<name>)
    # is kept in the image and comes from liblistheap. The printf-only image must use listheap's
    # _malloc_r although nothing in it calls malloc.
    map=$2
    shift 2
    bad=0
    for fn in "$@"; do
        if ! kept_sections "$map" | grep -E "^\.text\.$fn " | grep -Eq "$listheap_file_re"; then
            echo "linkcheck: $map: $fn is not listheap's code in the image" >&2
            bad=1
        fi
    done
    [ $bad -eq 0 ] || exit 1
    echo "linkcheck: ${map%.map} uses listheap's $*"
    ;;
lacks)
    # lacks <image.map> <entry>...: no section kept from liblistheap whose function name contains
    # the entry (realloc: realloc, _realloc_r, __wrap_realloc, listheap_realloc, its _err form...;
    # memalign also stands for aligned_alloc, posix_memalign, valloc and pvalloc). An image must
    # not pay for an entry point it never calls; EXTERN(_realloc_r) in listheap.ld once made
    # every image pay for all of them.
    map=$2
    shift 2
    kept_sections "$map" | grep -Eq "$listheap_file_re" ||
        { echo "linkcheck: $map shows no section of liblistheap: map format not understood" >&2; exit 1; }
    bad=0
    for entry in "$@"; do
        re=$entry
        [ "$entry" = memalign ] && re='memalign|aligned_alloc|valloc'
        found=$(kept_sections "$map" | grep -E "$listheap_file_re" | awk '{print $1}' |
            grep -E "^\.text\..*($re)" | tr '\n' ' ')
        if [ -n "$found" ]; then
            echo "linkcheck: $map: listheap code for $entry, which the image never calls: $found" >&2
            bad=1
        fi
    done
    [ $bad -eq 0 ] || exit 1
    echo "linkcheck: ${map%.map} holds no listheap code for $*"
    ;;
stack)
    # stack <image.elf>: the heap and the main stack [_estack - _Min_Stack_Size, _estack) (the
    # symbols of a CubeMX linker script) do not overlap. The stack is no section: `heap` cannot
    # see it.
    elf=$2
    hs=$(($(need __heap_start))); he=$(($(need __heap_end)))
    top=$(($(need _estack))); size=$(($(need _Min_Stack_Size)))
    [ $size -gt 0 ] || { echo "linkcheck: $elf: _Min_Stack_Size is 0" >&2; exit 1; }
    # clear_of_stack <what> <start> <end>: an empty range is clear wherever it lies
    clear_of_stack() {
        [ "$3" -le "$2" ] || [ "$3" -le $((top - size)) ] || [ "$2" -ge $top ] && return 0
        printf 'linkcheck: %s [0x%08x, 0x%08x) of %s overlaps the stack [0x%08x, 0x%08x)\n' \
            "$1" "$2" "$3" "$elf" $((top - size)) $top >&2
        exit 1
    }
    clear_of_stack heap $hs $he
    # the DTCM bank of the CubeMX snippet, when the image has one
    [ -z "$(sym __dtcm_start)" ] || clear_of_stack "DTCM bank" $(($(need __dtcm_start))) $(($(need __dtcm_end)))
    printf 'linkcheck: %s heap [0x%08x, 0x%08x) clear of the stack [0x%08x, 0x%08x)\n' \
        "$(basename "$elf")" $hs $he $((top - size)) $top
    ;;
heap)
    # heap <image.elf> <lo> <hi>: [__heap_start, __heap_end) lies within [lo, hi) and no other
    # allocated section of the image overlaps it.
    elf=$2
    lo=$(($3))
    hi=$(($4))
    hs=$(($(need __heap_start)))
    he=$(($(need __heap_end)))
    bad=0
    if [ $hs -lt $lo ] || [ $he -gt $hi ] || [ $he -le $hs ]; then
        printf 'linkcheck: heap [0x%08x, 0x%08x) of %s is not inside [0x%08x, 0x%08x)\n' $hs $he "$elf" $lo $hi >&2
        bad=1
    fi
    # "name address size" of every SHF_ALLOC section with a size, .heap excepted
    ${PREFIX}readelf -SW "$elf" | sed -n 's/^ *\[ *[0-9]*\] //p' |
        awk '$7 ~ /A/ && $1 != ".heap" && $1 != "NULL" {print $1, "0x" $3, "0x" $5}' >"${TMPDIR:-/tmp}/lh_sections.$$"
    while read -r name addr size; do
        a=$((addr)); n=$((size))
        [ $n -eq 0 ] && continue
        if [ $a -lt $he ] && [ $((a + n)) -gt $hs ]; then
            printf 'linkcheck: section %s [0x%08x, +%d) overlaps the heap\n' "$name" $a $n >&2
            bad=1
        fi
    done <"${TMPDIR:-/tmp}/lh_sections.$$"
    rm -f "${TMPDIR:-/tmp}/lh_sections.$$"
    [ $bad -eq 0 ] || exit 1
    printf 'linkcheck: %s heap [0x%08x, 0x%08x), %d KiB, alone in [0x%08x, 0x%08x)\n' \
        "$(basename "$elf")" $hs $he $(((he - hs) / 1024)) $lo $hi
    ;;
*)
    echo "usage: $0 family | lib <liblistheap.a> | elf <image.elf> <image.map> | uses <map> <fn>... | lacks <map> <entry>... | heap <elf> <lo> <hi>" >&2
    exit 2
    ;;
esac
