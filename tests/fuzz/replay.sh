#!/bin/sh
# Replay every fuzz corpus, seeds and bug reproducers, through the replay
# build of its target (see tests/fuzz/include.am); a crash fails the test.
set -u
: "${VIGIL_BUILDDIR:?run from make check}" "${VIGIL_SRCDIR:?}"

status=0
for t in proto statsd procfs http ws; do
	if ! "$VIGIL_BUILDDIR/tests/fuzz/replay_$t" \
	    "$VIGIL_SRCDIR/tests/fuzz/corpus/$t"; then
		echo "FAIL: replay_$t over tests/fuzz/corpus/$t"
		status=1
	fi
done
exit $status
