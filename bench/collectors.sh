#!/bin/sh
# Collectors benchmark: per-tick CPU against the floor, RSS of each
# running collector, StatsD parsing speed, and StatsD ingest over UDP
# loopback at RATE lines/s with the loss measured on the bus.
# usage: bench/collectors.sh BUILDDIR [RATE [SECONDS [LINES_PER_DATAGRAM]]]
set -eu
B=${1:?usage: collectors.sh BUILDDIR [RATE [SECONDS]]}
RATE=${2:-200000}
SECS=${3:-10}
PER=${4:-20}
T=$(mktemp -d /tmp/vigil-bench-col.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$T/vigil.conf" <<EOC
[vigild]
rundir = $T
bus = ipc://$T/bus
[metrics]
port = $PORT
EOC

echo "== CPU per tick against the floor (interleaved, one process)"
"$B/bench/collectors_bench" cost 15 200
echo "== StatsD parsing on one core"
"$B/bench/collectors_bench" parse 3

"$B/tests/integration/collectors_sub" "ipc://$T/bus" $((SECS + 30)) > "$T/bus.out" &
PIDS="$PIDS $!"
sleep 0.3
for r in system memory metrics; do
	"$B/vigil-$r" -c "$T/vigil.conf" 2>"$T/$r.log" &
	eval "PID_$r=$!"
	PIDS="$PIDS $!"
done
sleep 5
echo "== RSS after 5 s (VmRSS, VmHWM; kB)"
for r in system memory metrics; do
	eval "p=\$PID_$r"
	printf '%s: %s\n' "$r" "$(grep -E 'VmRSS|VmHWM|Threads' /proc/$p/status | tr -s ' \t' ' ' | tr '\n' ' ')"
done

echo "== StatsD ingest: $RATE lines/s, $PER per datagram, for $SECS s over UDP loopback"
cpu0=$(awk '{print $14 + $15}' /proc/$PID_metrics/stat)
SENT=$("$B/bench/collectors_bench" send "$PORT" "$RATE" "$SECS" "$PER")
cpu1=$(awk '{print $14 + $15}' /proc/$PID_metrics/stat)
sleep 2.5
/usr/bin/python3 - "$T/bus.out" "$SENT" "$SECS" "$cpu0" "$cpu1" <<'EOP'
import json, os, sys
path, sent, secs, c0, c1 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
lines = 0
for l in open(path):
    m = json.loads(l)
    if m.get("type") == "sample" and m["src"] == "metrics":
        lines = max(lines, m["vals"].get("statsd.lines", 0))
hz = os.sysconf("SC_CLK_TCK")
print(f"sent {sent} lines, received {int(lines)}, loss {100 * (1 - lines / sent):.4f} %")
print(f"vigil-metrics CPU during ingest: {100 * (c1 - c0) / hz / secs:.1f} % of one core")
EOP
p=$PID_metrics
printf 'metrics after ingest: %s\n' "$(grep -E 'VmRSS|VmHWM' /proc/$p/status | tr -s ' \t' ' ' | tr '\n' ' ')"
