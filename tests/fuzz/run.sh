#!/bin/sh
# Build the fuzz targets with clang and libFuzzer against a clang build of
# vigil (instrumented for coverage, ASan and UBSan), then fuzz each one in
# turn, one process at a time, for SECONDS (default 60) from its seed
# corpus in tests/fuzz/corpus/TARGET.
#
# usage: tests/fuzz/run.sh [-b builddir] [-t seconds] [target ...]
#
# builddir (default /tmp/b-fuzz) is configured and built when it has no
# Makefile. New corpus entries go to builddir/fuzz/corpus/TARGET, crashes to
# builddir/fuzz/artifacts/TARGET/; minimise one with
#   builddir/fuzz/fuzz_TARGET -minimize_crash=1 -runs=10000 CRASH
# and add it to tests/fuzz/corpus/TARGET, where make check replays it.
# Exits 1 if a target crashed, leaked or hung.
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=/tmp/b-fuzz
seconds=60
while getopts b:t: opt; do
	case $opt in
	b) build=$OPTARG ;;
	t) seconds=$OPTARG ;;
	*) sed -n 's/^# usage: //p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
targets=${*:-"proto statsd procfs http ws"}

command -v clang >/dev/null || { echo "run.sh: clang not found" >&2; exit 2; }
mkdir -p "$build"
build=$(cd "$build" && pwd)
if [ ! -f "$build/Makefile" ]; then
	(cd "$build" && CC=clang CFLAGS='-g -O1 -fsanitize=fuzzer-no-link' \
	    "$srcdir/configure" -q --enable-sanitizers)
fi
make -s -C "$build" -j2 libvigil.a libcollectors.a libgateway.a

# The libraries each target links, as the build's Makefile names them.
libs() {
	printf 'print:\n\t@echo $(%s)\n' "$1" |
	    make -s -C "$build" --no-print-directory -f Makefile -f - print
}
vigil_libs=$(libs VIGIL_LIBS)
collectors_libs=$(libs COLLECTORS_LIBS)
gateway_libs=$(libs GATEWAY_LIBS)

out=$build/fuzz
mkdir -p "$out"
cflags='-g -O1 -std=c11 -Wall -Wextra -D_GNU_SOURCE
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-fno-omit-frame-pointer'
status=0
for t in $targets; do
	case $t in
	proto) tlibs=$vigil_libs; maxlen=8192 ;;
	statsd | procfs) tlibs=$collectors_libs; maxlen=8192 ;;
	http | ws) tlibs=$gateway_libs; maxlen=16384 ;;
	*) echo "run.sh: unknown target $t" >&2; exit 2 ;;
	esac
	# shellcheck disable=SC2086
	(cd "$build" && clang $cflags -I"$srcdir" \
	    -o "$out/fuzz_$t" "$srcdir/tests/fuzz/fuzz_$t.c" $tlibs -lm)
	mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
	dict=
	[ -f "$srcdir/tests/fuzz/$t.dict" ] &&
	    dict=-dict="$srcdir/tests/fuzz/$t.dict"
	echo "== fuzz_$t for ${seconds}s"
	# One process, as the machine is shared: no -jobs or -workers.
	if ! "$out/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=$maxlen -print_final_stats=1 \
	    -artifact_prefix="$out/artifacts/$t/" $dict \
	    "$out/corpus/$t" "$srcdir/tests/fuzz/corpus/$t" \
	    >"$out/$t.log" 2>&1; then
		status=1
		echo "fuzz_$t FAILED: see $out/$t.log and $out/artifacts/$t/"
	fi
	grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec)|SUMMARY' \
	    "$out/$t.log" || true
	echo "corpus: $(ls "$out/corpus/$t" | wc -l) entries"
done
exit $status
