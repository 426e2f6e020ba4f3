#!/bin/sh
# rust/size.sh <image.map> - flash bytes of a mixed C/Rust image by where they come from: the
# input sections the linker kept in flash (.text, .rodata, .ARM.exidx, and .data's load
# image), summed per origin. `make rust-size` runs it on the run-rust image.
set -eu
map=$1
awk '/^Linker script and memory map/ { on = 1; next }
    !on { next }
    pending != "" { if ($1 ~ /^0x/ && NF >= 3) print pending, $1, $2, $3; pending = ""; next }
    /^ \.[^ ]+$/ { pending = $1; next }
    /^ \.[^ ]+ +0x/ && NF >= 4 { print $1, $2, $3, $4 }' "$map" |
while read -r sec addr size file; do
    n=$((size))
    [ "$n" -gt 0 ] || continue
    # flash: code, constants, unwind index (below RAM); .data in RAM, whose image is in flash
    case $sec in
    .isr_vector | .text* | .rodata* | .ARM.exidx*) [ $((addr)) -lt $((0x20000000)) ] || continue ;;
    .data*) [ $((addr)) -ge $((0x20000000)) ] || continue ;;
    *) continue ;;
    esac
    case $file in
    *compiler_builtins*) k=rust-compiler_builtins ;;
    *.rcgu.o*) k=rust-crates ;;
    *liblistheap*) k=liblistheap ;;
    *libc_nano.a* | *libg_nano.a* | *libc.a* | *libg.a* | *libnosys*) k=newlib ;;
    *libgcc.a*) k=libgcc ;;
    *) k=c-objects ;;
    esac
    echo "$k $n"
done | awk '{ s[$1] += $2; t += $2 } END { for (k in s) printf "  %-24s %6d\n", k, s[k]; printf "  %-24s %6d\n", "total", t }' | sort
