#!/usr/bin/env bash
# Runs the Dockerfile's steps without a Docker engine: a clean copy of the tracked tree, `npm ci`, build,
# `npm prune --omit=dev`, then starts `koppel daemon` from dist/ with only production dependencies and checks
# /healthz and a graceful SIGTERM. Used by .ci/run.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

git -C "$repo" ls-files -z | (cd "$repo" && xargs -0 tar cf -) | tar xf - -C "$work"
cd "$work"
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
npm prune --omit=dev --no-audit --no-fund --loglevel=error
test ! -e node_modules/typescript || { echo "dev dependencies left after prune"; exit 1; }

port=$(node -e "const s=require('net').createServer().listen(0,()=>{console.log(s.address().port);s.close()})")
mkdir -p data
cat > prod.yaml <<YAML
database: { pglite_dir: ./data/pglite }
http: { port: $port, host: 127.0.0.1 }
YAML
NODE_ENV=production node dist/src/cli/main.js --config prod.yaml daemon > daemon.log 2>&1 &
pid=$!
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/healthz"; echo
curl -fsS "http://127.0.0.1:$port/metrics" | grep -q '^# TYPE koppel_runs_total counter'
kill -TERM "$pid"
wait "$pid"
grep -q '"msg":"stopped"' daemon.log
echo "production build: npm ci, build, prune --omit=dev and daemon start/stop OK"
