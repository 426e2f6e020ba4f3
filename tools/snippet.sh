#!/bin/sh
# Snippets: the lines docs/*.md tell a user to paste are the lines `make test` builds.
# A snippet is the fenced code block that follows a line "<!-- snippet: NAME -->" in a doc.
#
#   tools/snippet.sh show <doc.md> <name>
#       print the snippet's lines
#   tools/snippet.sh in <doc.md> <name> <file>
#       exit 0 if the snippet's lines appear in <file> verbatim (leading blanks aside) and in
#       one piece
#   tools/snippet.sh replace <doc.md> <name> <file> <begin> <end>
#       print <file> with the lines strictly between the line <begin> and the line <end>
#       replaced by the snippet (what a user does who follows the doc in that place)
set -eu

show() {
    # the marker and the fence may be indented (a snippet inside a list item): the fence's
    # indentation is taken off every line of the block
    awk -v want="<!-- snippet: $2 -->" '
        { bare = $0; sub(/^[ \t]+/, "", bare) }
        bare == want { armed = 1; next }
        armed && bare ~ /^```/ {
            if (inside) exit
            inside = 1; indent = length($0) - length(bare); next
        }
        inside { print substr($0, indent + 1); found = 1 }
        END { if (!found) exit 1 }' "$1" || { echo "snippet: no snippet '$2' in $1" >&2; exit 1; }
}

case "${1:-}" in
show)
    show "$2" "$3"
    ;;
in)
    tmp=$(mktemp)
    show "$2" "$3" >"$tmp"
    # slide a window of the snippet's length over the file
    # leading blanks do not count: a C snippet may sit indented in a function
    if awk '{ sub(/^[ \t]+/, "") } NR == FNR { want[++n] = $0; next }
        { line[++m] = $0 }
        END {
            for (s = 1; s + n - 1 <= m; s++) {
                ok = 1
                for (i = 1; i <= n; i++) if (line[s + i - 1] != want[i]) { ok = 0; break }
                if (ok) exit 0
            }
            exit 1
        }' "$tmp" "$4"; then
        rm -f "$tmp"
        echo "snippet: '$3' of $2 is in $4, verbatim"
    else
        rm -f "$tmp"
        echo "snippet: '$3' of $2 is not in $4 verbatim: the doc and the example have drifted" >&2
        exit 1
    fi
    ;;
replace)
    tmp=$(mktemp)
    show "$2" "$3" >"$tmp"
    awk -v b="$5" -v e="$6" 'NR == FNR { snip = snip $0 "\n"; next }
        $0 == b { print; printf "%s", snip; skip = 1; seen++; next }
        $0 == e { skip = 0 }
        !skip { print }
        END { if (seen != 1) { print "snippet: marker \"" b "\" found " seen + 0 " times" > "/dev/stderr"; exit 1 } }' \
        "$tmp" "$4"
    rm -f "$tmp"
    ;;
*)
    echo "usage: $0 show|in|replace ..." >&2
    exit 2
    ;;
esac
