#!/usr/bin/env bash
# The web app against a local node, for trying it by hand: builds what is missing (the
# SBF binaries, the node, the client and app dependencies), starts the local node with a
# fresh deployer, seeds the demo scenario (two markets, underwriters, a covered
# shortfall, covers, an open claim; clients/ts/scripts/seed-demo.ts, which prints the
# test keys it used into $SEED), and serves the app with Vite's dev server. Ctrl-C stops
# everything. Connect a wallet (Phantom, Solflare, Backpack) set to the custom RPC the
# script prints, or import one of the seeded keys from $SEED into it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/deploy/insurance_pool.so ] || bash scripts/build-sbf.sh
# The same build as the test suites' (clients/ts/scripts/localnet.mjs NODE_BUILD).
cargo build --locked -q -p insurance-pool-localnet -p insurance-pool-cli
[ -d clients/ts/node_modules ] || npm ci --prefix clients/ts --no-audit --no-fund
[ -d app/node_modules ] || npm ci --prefix app --no-audit --no-fund
SEED=${SEED:-$(mktemp -d)/seed.json}
PORT=${PORT:-5173}
node --input-type=module -e "
import { spawn, spawnSync } from 'node:child_process';
import { startNode } from './clients/ts/scripts/localnet.mjs';
const node = await startNode({ quiet: true });
if (!node) process.exit(1);
const env = { ...process.env, LOCALNET_URL: node.url, LOCALNET_WS: node.ws, LOCALNET_DEPLOYER: node.deployer };
const seeded = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/seed-demo.ts', '$SEED'], { cwd: 'clients/ts', env, stdio: 'inherit' });
if (seeded.status !== 0) { node.stop(); process.exit(1); }
const url = 'http://127.0.0.1:$PORT/?rpc=' + encodeURIComponent(node.url) + '&ws=' + encodeURIComponent(node.ws) + '#/pools';
console.log('node: ' + node.url + ' (ws ' + node.ws + '); seeded keys: $SEED');
console.log('app: ' + url);
const vite = spawn('npx', ['vite', '--port', '$PORT', '--strictPort', '--host', '127.0.0.1'], { cwd: 'app', stdio: 'inherit' });
const stop = () => { vite.kill('SIGKILL'); node.stop(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
vite.on('exit', () => { node.stop(); process.exit(0); });
"
