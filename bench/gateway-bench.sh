#!/bin/sh
# gateway-bench.sh: vigil-gateway under load, next to its floor.
#
# Usage: gateway-bench.sh BUILDDIR [REPORT]
#
# Runs each scenario against a real vigil-gateway (own config, run
# directory and free port, all in a temporary directory) and, for the
# broadcast scenarios, against wsfloor, the least a server can do to write
# the same frames to the same sockets. Runs alternate (gateway, floor,
# gateway, ...) so both see the same machine, RUNS times; the tables give
# medians. Everything listens and connects on 127.0.0.x only, every
# process started here is stopped at the end, and nothing is written
# outside the temporary directory but REPORT (the tables, in markdown).
#
# Environment: RUNS (3), DUR (20 s per window), SCENARIOS ("fast big idle
# stall"), CONNS_BIG (19500), CONNS_IDLE (10000), VALUES (48 per sample),
# QUEUE (client_queue for the 1,000-client runs, 65536), STALL_VALUES
# (values per sample in the stall pair, 200).
set -eu

builddir=${1:?usage: gateway-bench.sh BUILDDIR [REPORT]}
report=${2:-}
RUNS=${RUNS:-3}
DUR=${DUR:-20}
SCENARIOS=${SCENARIOS:-"fast big idle stall"}
CONNS_BIG=${CONNS_BIG:-19500}
CONNS_IDLE=${CONNS_IDLE:-10000}
VALUES=${VALUES:-48}
QUEUE=${QUEUE:-65536}
STALL_VALUES=${STALL_VALUES:-200}

gw=$builddir/vigil-gateway
wsload=$builddir/bench/wsload
wsfloor=$builddir/bench/wsfloor
for b in "$gw" "$wsload" "$wsfloor"; do
	[ -x "$b" ] || { echo "gateway-bench: $b missing" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/gateway-bench.XXXXXX)
results=$tmp/results
: >"$results"
srvpid=

stop_server() {
	if [ -n "$srvpid" ]; then
		kill -TERM "$srvpid" 2>/dev/null || true
		i=0
		while kill -0 "$srvpid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$srvpid" 2>/dev/null || true
		wait "$srvpid" 2>/dev/null || true
		srvpid=
	fi
}

cleanup() {
	stop_server
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Wait until LOG says where the server listens; print host:port.
wait_listen() {
	i=0
	while [ $i -lt 100 ]; do
		hp=$(sed -n 's/.*listening on [a-z:/]*\([0-9.]*:[0-9]*\).*/\1/p' \
		    "$1" | head -n 1)
		if [ -n "$hp" ]; then
			echo "$hp"
			return 0
		fi
		kill -0 "$srvpid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "gateway-bench: server did not start:" >&2
	cat "$1" >&2
	return 1
}

# start_gateway RATE QUEUE: a fresh gateway; sets srvpid, url, bus.
start_gateway() {
	iv=$(awk -v r="$1" 'BEGIN { printf "%d", (r > 0 ? 1000 / r : 1000) }')
	rm -rf "$tmp/run"
	cat >"$tmp/vigil.conf" <<EOF
[vigild]
rundir = $tmp/run
host = bench
[gateway]
address = 127.0.0.1
port = 0
max_clients = 20000
batch_interval = $iv
client_queue = $2
lag_timeout = 600000
ping_interval = 0
handshake_timeout = 60000
EOF
	: >"$tmp/gateway.log"
	"$gw" -c "$tmp/vigil.conf" 2>"$tmp/gateway.log" &
	srvpid=$!
	url=ws://$(wait_listen "$tmp/gateway.log")/ws
	bus=ipc://$tmp/run/bus
	sleep 0.5
}

# gw_run LABEL RATE QUEUE WSLOAD-ARGS...
gw_run() {
	label=$1 rate=$2 queue=$3
	shift 3
	start_gateway "$rate" "$queue"
	"$wsload" -l "$label" -r "$rate" -u "$url" -g "$srvpid" -b "$bus" \
	    -V "$VALUES" "$@" --capture "$tmp/frame.$label" \
	    >>"$results" || echo "gateway-bench: $label failed" >&2
	stop_server
}

# floor_run LABEL RATE WSLOAD-ARGS...: the frame is the one the gateway
# sent in the run labelled like this one with -gw for -floor.
floor_run() {
	label=$1 rate=$2
	shift 2
	frame=
	f=$tmp/frame.${label%-floor}-gw
	[ -s "$f" ] && frame="-f $f"
	: >"$tmp/floor.log"
	# shellcheck disable=SC2086
	"$wsfloor" -p 0 -r "$rate" -V "$VALUES" $frame 2>"$tmp/floor.log" &
	srvpid=$!
	url=ws://$(wait_listen "$tmp/floor.log")/ws
	"$wsload" -l "$label" -r "$rate" -u "$url" -g "$srvpid" "$@" \
	    >>"$results" || echo "gateway-bench: $label failed" >&2
	stop_server
}

run=1
while [ $run -le "$RUNS" ]; do
	for s in $SCENARIOS; do
		echo "gateway-bench: run $run, $s" >&2
		case $s in
		fast)
			gw_run fast-gw 10 "$QUEUE" -n 1000 -d "$DUR"
			floor_run fast-floor 10 -n 1000 -d "$DUR"
			;;
		big)
			gw_run big-gw 1 1048576 -n "$CONNS_BIG" -d "$((DUR + 10))" \
			    --settle 3000
			floor_run big-floor 1 -n "$CONNS_BIG" -d "$((DUR + 10))" \
			    --settle 3000
			;;
		idle)
			gw_run idle-gw 0 1048576 -n "$CONNS_IDLE" -d 3 \
			    --settle 3000
			;;
		stall)
			# Bigger frames, so that the stalled client's backlog
			# outgrows the socket buffers and reaches the cap.
			gw_run stall-base 10 "$QUEUE" -n 1000 -d "$DUR" \
			    -V "$STALL_VALUES"
			gw_run stall-gw 10 "$QUEUE" -n 1000 -d "$DUR" \
			    -V "$STALL_VALUES" --stall 1
			;;
		esac
	done
	run=$((run + 1))
done

# Medians per label of every numeric key, then the tables.
tables() {
	awk '
	$1 == "wsload" && / conns=0 / { bad[substr($2, 7)]++; next }
	$1 == "wsload" {
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (i == 2) { label = kv[2]; labels[label] = 1; continue }
			n = ++cnt[label, kv[1]]
			val[label, kv[1], n] = kv[2] + 0
		}
	}
	function med(label, key,   n, i, j, t, a) {
		n = cnt[label, key]
		if (n == 0) return -1
		for (i = 1; i <= n; i++) a[i] = val[label, key, i]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function row(label, floor) {
		if (!(label in labels)) return
		f = (floor in labels) ? med(floor, "us_per_frame") : 0
		g = med(label, "us_per_frame")
		printf "| %s | %d | %.0f | %.2f | %.2f | %.2f | %d | %d | %.2f | %s | %s | %.1f | %.0f | %.0f |\n", \
		    label, med(label, "conns"), med(label, "fps"), \
		    med(label, "p50"), med(label, "p99"), med(label, "max"), \
		    med(label, "lost"), med(label, "reordered"), g, \
		    (f > 0 ? sprintf("%.2f", f) : "-"), \
		    (f > 0 ? sprintf("%.2f", g / f) : "-"), \
		    med(label, "rss_end_kb") / 1024, \
		    med(label, "rss_max_kb"), med(label, "rss_per_conn_b")
	}
	END {
		for (l in bad)
			printf "%s: %d run(s) where no connection was made are left out\n\n", l, bad[l]
		print "| run | conns | frames/s | p50 ms | p99 ms | max ms | lost | reordered | server us/frame | floor us/frame | ratio | RSS MB | RSS max kB | RSS B/conn |"
		print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		row("fast-gw", "fast-floor"); row("fast-floor", "")
		row("stall-base", ""); row("stall-gw", "")
		row("big-gw", "big-floor"); row("big-floor", "")
		row("idle-gw", "")
		if ("stall-gw" in labels) {
			printf "\nStall: stalled=%d, drained after resume %.0f B, kernel buffers %.0f B, server-side queue estimate %.0f B (cap %d); p99 of the others %.2f ms vs %.2f ms without (ratio %.2f); stall e2e p99 %.2f\n", \
			    med("stall-gw", "stalled"), med("stall-gw", "stall_drained"), \
			    med("stall-gw", "stall_kernel_max"), \
			    med("stall-gw", "stall_queued_max"), queue, \
			    med("stall-gw", "p99"), med("stall-base", "p99"), \
			    (med("stall-base", "p99") > 0 ? med("stall-gw", "p99") / med("stall-base", "p99") : 0), \
			    med("stall-gw", "e2e_p99")
		}
	}' queue="$QUEUE" "$results"
}

{
	echo "Medians of $RUNS runs; window ${DUR} s (big: $((DUR + 10)) s)."
	echo
	tables
	echo
	echo "Raw lines:"
	echo
	sed 's/^/    /' "$results"
} >"$tmp/report.md"
cat "$tmp/report.md"
[ -z "$report" ] || cp "$tmp/report.md" "$report"
