#!/usr/bin/env bash
# Serve the app from several replicas behind HAProxy (Debian: apt-get install haproxy):
#
#   deploy/serve.sh [REPLICAS]          # or: make serve REPLICAS=2
#
# starts REPLICAS (default 2) `streamlit run app.py` on loopback ports and HAProxy in front on
# $BIND:$PORT (default 127.0.0.1:8501) with cookie-based sticky sessions and websocket upgrades
# (deploy/haproxy.cfg), then waits; Ctrl-C (or SIGTERM) stops the balancer and every replica.
#
# Settings (environment): PORT, BIND (0.0.0.0 to serve other machines), REPLICA_PORTS (one
# port per replica, default PORT+10, PORT+11, ...), STATS_PORT (HAProxy's statistics page on
# loopback, default PORT+9), RUN_DIR (config, logs and pid files; default a new temporary
# directory), STREAMLIT and PYTHON (default .venv/bin/..., else from PATH), HAPROXY.
#
# All replicas share one cookie secret (STREAMLIT_SERVER_COOKIE_SECRET, generated when unset),
# so the XSRF cookie one replica set is still valid when a session moves to another. A
# replica's sessions live in its memory: when it stops, its pages reconnect through HAProxy to
# another replica and reopen their scenario from the link in the address bar.
set -euo pipefail
cd "$(dirname "$0")/.."

REPLICAS="${1:-${REPLICAS:-2}}"
PORT="${PORT:-8501}"
BIND="${BIND:-127.0.0.1}"
STATS_PORT="${STATS_PORT:-$((PORT + 9))}"
if [ -x .venv/bin/streamlit ]; then
  STREAMLIT="${STREAMLIT:-.venv/bin/streamlit}" PYTHON="${PYTHON:-.venv/bin/python}"
else
  STREAMLIT="${STREAMLIT:-streamlit}" PYTHON="${PYTHON:-python3}"
fi

case "$REPLICAS" in
  '' | *[!0-9]*) echo "serve.sh: REPLICAS must be a whole number (got '$REPLICAS')" >&2; exit 2 ;;
esac
if [ "$REPLICAS" -lt 1 ] || [ "$REPLICAS" -gt 32 ]; then
  echo "serve.sh: REPLICAS must be between 1 and 32 (got $REPLICAS)" >&2
  exit 2
fi
HAPROXY="${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}"
if [ ! -x "$HAPROXY" ]; then
  echo "serve.sh: haproxy is not installed (Debian: apt-get install haproxy)" >&2
  exit 2
fi
if [ -z "${REPLICA_PORTS:-}" ]; then
  REPLICA_PORTS=""
  for i in $(seq 1 "$REPLICAS"); do REPLICA_PORTS="$REPLICA_PORTS $((PORT + 9 + i))"; done
fi
read -r -a ports <<<"$REPLICA_PORTS"
if [ "${#ports[@]}" -ne "$REPLICAS" ]; then
  echo "serve.sh: REPLICA_PORTS lists ${#ports[@]} ports for $REPLICAS replicas" >&2
  exit 2
fi
RUN_DIR="${RUN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/mrrsim-serve.XXXXXX")}"
mkdir -p "$RUN_DIR"
if [ -z "${STREAMLIT_SERVER_COOKIE_SECRET:-}" ]; then
  STREAMLIT_SERVER_COOKIE_SECRET="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
fi
export STREAMLIT_SERVER_COOKIE_SECRET

pids=()
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "serve.sh: stopped the balancer and $REPLICAS replica(s)" >&2
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

config="$RUN_DIR/haproxy.cfg"
cp deploy/haproxy.cfg "$config"
for i in $(seq 1 "$REPLICAS"); do
  port="${ports[$((i - 1))]}"
  echo "    server r$i 127.0.0.1:$port cookie r$i" >>"$config"
  "$STREAMLIT" run app.py --server.headless true --server.address 127.0.0.1 \
    --server.port "$port" >"$RUN_DIR/replica-$i.log" 2>&1 &
  pids+=("$!")
  echo "$!" >"$RUN_DIR/replica-$i.pid"
done

# Wait until every replica answers its health check (or one exits).
"$PYTHON" - "${ports[@]}" <<'PY'
import sys, time, urllib.request
deadline = time.monotonic() + 120
for port in sys.argv[1:]:
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"serve.sh: replica on port {port} is not healthy after 120 s")
        time.sleep(0.2)
PY

MRRSIM_BIND="$BIND" MRRSIM_PORT="$PORT" MRRSIM_STATS_PORT="$STATS_PORT" \
  "$HAPROXY" -db -f "$config" &
pids+=("$!")
echo "$!" >"$RUN_DIR/haproxy.pid"
echo "serve.sh: http://$BIND:$PORT/ -> $REPLICAS replica(s) on ports ${ports[*]};" \
  "statistics on http://127.0.0.1:$STATS_PORT/; logs in $RUN_DIR (Ctrl-C stops all)" >&2
wait "${pids[-1]}"
