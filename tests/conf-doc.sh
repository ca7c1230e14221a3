#!/bin/sh
# Every key of the table in common/config.c must be documented in
# vigil.conf(5) and shown in the sample etc/vigil.conf, and every key the
# page documents must exist.
set -u
src=$VIGIL_SRCDIR
keys=$(grep -oE '(STR|UINTZ?)\((sec|"[a-z]+"), "[a-z_]+"' "$src/common/config.c" |
    sed 's/.*, "\([a-z_]*\)"$/\1/' | sort -u)
documented=$(sed -n 's/^\.It Cm \([a-z_]*\) No = .*/\1/p' "$src/man/vigil.conf.5" |
    sort -u)
status=0
[ -n "$keys" ] || { echo "FAIL: no keys found in config.c" >&2; exit 1; }
for k in $keys; do
	echo "$documented" | grep -qx "$k" ||
	    { echo "FAIL: $k is not in vigil.conf(5)" >&2; status=1; }
	grep -q "^;$k = " "$src/etc/vigil.conf" ||
	    { echo "FAIL: $k is not in etc/vigil.conf" >&2; status=1; }
done
for k in $documented; do
	echo "$keys" | grep -qx "$k" ||
	    { echo "FAIL: vigil.conf(5) documents $k, which config.c lacks" >&2
	      status=1; }
done
[ $status -eq 0 ] && echo "ok: $(echo "$keys" | wc -l) keys documented"
exit $status
