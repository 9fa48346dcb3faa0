#!/usr/bin/env bash
# Runs the Dockerfile's steps without a Docker engine: a clean copy of the tracked tree, `npm ci`, build,
# `npm prune --omit=dev`, then starts `koppel daemon` from dist/ with only production dependencies and checks
# /healthz and a graceful SIGTERM. Also checks that dist/ has no sandbox or demo code and no demo secret, and that
# `koppel sandbox` from dist/ fails clearly. Used by .ci/run.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

git -C "$repo" ls-files -z | (cd "$repo" && xargs -0 tar cf -) | tar xf - -C "$work"
cd "$work"
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent

# The sandboxes and the demo are test doubles with demo credentials: dist/ must hold none of their code. Their
# secrets are read from the sandboxes themselves (what `koppel sandbox` prints), so a new one is checked too.
test ! -e dist/sandbox && test ! -e dist/demo || { echo "dist/ has a sandbox or demo folder"; exit 1; }
from_tree=$(grep -rlE '"sources":\[[^]]*"(\.\./)+(sandbox|demo)/' dist --include='*.map' || true)
test -z "$from_tree" || { echo "dist/ has files built from the sandbox or demo tree:"; echo "$from_tree"; exit 1; }
node --import tsx --input-type=module -e "
  const { startAllSandboxes } = await import('./sandbox/start-all.ts');
  for (const { handle } of await startAllSandboxes(0)) {
    for (const [key, value] of Object.entries(handle.credentials)) if (/secret|password/i.test(key)) console.log(value);
    await handle.close();
  }" > sandbox-secrets.txt
test "$(wc -l < sandbox-secrets.txt)" -ge 4 || { echo "expected the sandboxes' demo secrets, got:"; cat sandbox-secrets.txt; exit 1; }
leaked=$(grep -rlF -f sandbox-secrets.txt dist || true)
test -z "$leaked" || { echo "dist/ holds a sandbox demo secret:"; echo "$leaked"; exit 1; }

npm prune --omit=dev --no-audit --no-fund --loglevel=error
test ! -e node_modules/typescript || { echo "dev dependencies left after prune"; exit 1; }

# From dist/, `koppel sandbox` says where the sandboxes are, with the usage/config exit code (README: 2).
set +e
node dist/src/cli/main.js sandbox --port 0 > sandbox.out 2>&1
code=$?
set -e
test "$code" -eq 2 && grep -q 'the sandboxes ship with a checkout, not the image: run `npm run sandbox` in a checkout' sandbox.out ||
  { echo "koppel sandbox from dist/: expected exit 2 and the checkout message, got $code:"; cat sandbox.out; exit 1; }

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
echo "production build: npm ci, build (no sandbox code), prune --omit=dev, koppel sandbox refused, daemon start/stop OK"
