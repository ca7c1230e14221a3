#!/bin/sh
# Each binary's usage message must match the SYNOPSIS of its man page:
# `BIN -h` prints "usage: BIN ..." and the rendered SYNOPSIS must hold the
# same words, whitespace aside.
set -u
status=0
norm() { tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }

check() {	# binary page
	bin=$1 page=$2
	usage=$("$VIGIL_BUILDDIR/$bin" -h 2>&1 | sed -n 's/^usage: //p' | norm)
	if [ -z "$usage" ]; then
		echo "FAIL: $bin -h prints no 'usage:' line" >&2
		status=1
		return
	fi
	synopsis=$("$MANDOC" -Tascii -Owidth=200 "$VIGIL_SRCDIR/man/$page" |
	    sed "s/.\x08//g" |
	    sed -n '/^SYNOPSIS/,/^[A-Z]/p' | sed '1d;$d' | norm)
	case " $synopsis " in
	*" $usage "*) echo "ok: $bin" ;;
	*)
		echo "FAIL: $bin: usage '$usage' not in SYNOPSIS of $page:" >&2
		echo "  '$synopsis'" >&2
		status=1
		;;
	esac
}

check vigild vigild.8
check vigilctl vigilctl.8
check vigil-gateway vigil-gateway.8
check vigil-system vigil-collectors.8
check vigil-memory vigil-collectors.8
check vigil-metrics vigil-collectors.8
exit $status
