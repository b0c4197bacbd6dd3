#!/usr/bin/env bash
# make federation-demo: a certificate authority, a coordinator and 20 sites
# on loopback, the MNIST digit features split across the sites, 4 of them
# Byzantine; two rounds (the mean failure, then capture-jitter), each ending
# with the aggregate's ARI on the test digits next to the Oracle's.
#
# Environment: DEMO_DIR (default /tmp/nistgmm-federation-demo, emptied
# first), DEMO_PORT and DEMO_STATUS_PORT (default 17443 and 17480),
# DEMO_SITES (20), DEMO_BYZANTINE (4), DEMO_N (1250 digits per site),
# DEMO_FAILURES (the rounds' failures, default "mean capture-jitter"; the
# adaptive attacks play against the previous round's published aggregate).
set -euo pipefail
cd "$(dirname "$0")/.."
N=$PWD/bin/nistgmm
FEATURES=$PWD/data/features
DIR=${DEMO_DIR:-/tmp/nistgmm-federation-demo}
PORT=${DEMO_PORT:-17443}
STATUS_PORT=${DEMO_STATUS_PORT:-17480}
SITES=${DEMO_SITES:-20}
BYZ=${DEMO_BYZANTINE:-4}
PER_SITE=${DEMO_N:-1250}
K=10

[ -x "$N" ] || { echo "federation-demo: build first (make build)" >&2; exit 1; }
if [ ! -f "$FEATURES/manifest.json" ]; then
  echo "federation-demo: extracting the built-in MNIST digits' features into $FEATURES"
  "$N" extract --out "$FEATURES" --quiet
fi
D=50 # the CNN's feature dimension (features.Dim)

rm -rf "$DIR"
mkdir -p "$DIR/logs"
PKI=$DIR/pki
"$N" ca init --dir "$PKI" 2>/dev/null
"$N" ca issue --dir "$PKI" --server --name localhost --host 127.0.0.1 2>/dev/null
"$N" ca issue --dir "$PKI" --operator --name operator 2>/dev/null
names=()
for i in $(seq 0 $((SITES - 1))); do
  name=$(printf 'site-%02d' "$i")
  names+=("$name")
  "$N" ca issue --dir "$PKI" --name "$name" 2>/dev/null
done
byzantine=("${names[@]:$((SITES - BYZ))}")
byz_list=$(IFS=,; echo "${byzantine[*]}")
echo "CA, coordinator, operator and $SITES site certificates in $PKI; Byzantine sites: $byz_list"

"$N" serve --pki "$PKI" --state "$DIR/state" --listen "127.0.0.1:$PORT" --status-listen "127.0.0.1:$STATUS_PORT" \
  >"$DIR/logs/serve.out" 2>"$DIR/logs/serve.log" &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q '^listening' "$DIR/logs/serve.out" 2>/dev/null && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$DIR/logs/serve.log" >&2; exit 1; }
  sleep 0.1
done
echo "coordinator on 127.0.0.1:$PORT; status page http://127.0.0.1:$STATUS_PORT/status (metrics on /metrics)"
op=(--pki "$PKI" --name operator --server "127.0.0.1:$PORT" --server-name localhost)

round=0
for failure in ${DEMO_FAILURES:-mean capture-jitter}; do
  round=$((round + 1))
  "$N" round open "${op[@]}" --k $K --d "$D" --quorum "$SITES" --commit-deadline 10m --reveal-deadline 10m >/dev/null
  pids=()
  for i in $(seq 0 $((SITES - 1))); do
    name=${names[$i]}
    extra=()
    [ "$i" -ge $((SITES - BYZ)) ] && extra=(--failure "$failure")
    GOMAXPROCS=1 "$N" site --pki "$PKI" --name "$name" --server "127.0.0.1:$PORT" --server-name localhost \
      --features "$FEATURES" --share "$i/$SITES" --max-n "$PER_SITE" --seed $((i + 1)) --state "$DIR/sites" "${extra[@]}" \
      >>"$DIR/logs/sites.out" 2>>"$DIR/logs/$name.log" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do
    wait "$p" || { echo "federation-demo: a site failed; see $DIR/logs" >&2; exit 1; }
  done
  "$N" round result "${op[@]}" --round $round --out "$DIR/round$round-ared.json" 2>/dev/null
  "$N" round estimates "${op[@]}" --round $round --out "$DIR/round$round-estimates.json"
  "$N" aggregate --estimates "$DIR/round$round-estimates.json" --method oracle --byzantine "$byz_list" \
    --out "$DIR/round$round-oracle.json" 2>/dev/null
  ared=$("$N" score --mixture "$DIR/round$round-ared.json" --features "$FEATURES/digits-test.npy" --labels "$FEATURES/digits-test-labels.npy" | awk '{print $2}')
  oracle=$("$N" score --mixture "$DIR/round$round-oracle.json" --features "$FEATURES/digits-test.npy" --labels "$FEATURES/digits-test-labels.npy" | awk '{print $2}')
  flagged=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(",".join(r["flagged"]) or "none")' "$DIR/round$round-ared.json" 2>/dev/null || echo "?")
  echo "round $round ($failure failure on $byz_list): flagged $flagged"
  printf 'ARED %.4f Oracle %.4f\n' "$ared" "$oracle"
done
echo "reports, estimates and logs in $DIR; the status page stays at http://127.0.0.1:$STATUS_PORT/status until this script ends"
