#!/usr/bin/env node
// `npm test` in app/: starts a fresh local node (the SBF binaries), seeds the demo
// scenario, builds the app and serves it (`vite preview`), runs the browser tests in
// Debian's Chromium (CHROMIUM, default /usr/bin/chromium), and stops everything.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { buildNode, freePort, root, startNode } from "../../clients/ts/scripts/localnet.mjs";

const app = join(dirname(fileURLToPath(import.meta.url)), "..");
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(chromium)) {
  console.error(`no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM)`);
  process.exit(2);
}
for (const so of ["insurance_pool.so", "example_exchange.so"]) {
  if (!existsSync(join(root, "target", "deploy", so))) {
    console.error(`missing target/deploy/${so}: build the SBF binaries first (bash scripts/build-sbf.sh)`);
    process.exit(2);
  }
}
// The same build as the TypeScript suite's (node and CLI): nothing recompiles between them.
const built = buildNode();
if (built !== 0) process.exit(built);
const bundle = spawnSync(join(app, "node_modules", ".bin", "vite"), ["build", "--logLevel", "warn"], { cwd: app, stdio: "inherit" });
if (bundle.status !== 0) process.exit(bundle.status ?? 1);

const node = await startNode({ quiet: true });
if (!node) process.exit(1);
const seedFile = join(mkdtempSync(join(tmpdir(), "app-seed-")), "seed.json");
const env = { ...process.env, LOCALNET_URL: node.url, LOCALNET_WS: node.ws, LOCALNET_DEPLOYER: node.deployer };
const seeded = spawnSync(process.execPath, ["--import", "tsx", "scripts/seed-demo.ts", seedFile], {
  cwd: join(root, "clients", "ts"),
  env,
  stdio: "inherit",
});
if (seeded.status !== 0) {
  node.stop();
  process.exit(seeded.status ?? 1);
}

const port = await freePort();
const server = spawn(join(app, "node_modules", ".bin", "vite"), ["preview", "--port", String(port), "--strictPort", "--host", "127.0.0.1"], {
  cwd: app,
  stdio: ["ignore", "pipe", "inherit"],
});
const stop = () => {
  if (server.exitCode === null) server.kill("SIGKILL");
  node.stop();
};
process.on("exit", stop);
await new Promise((resolve) => {
  let out = "";
  server.stdout.setEncoding("utf8").on("data", (c) => {
    out += c;
    if (out.includes(String(port))) resolve();
  });
  setTimeout(resolve, 15_000);
});

const tests = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", "tests/e2e.test.ts"], {
  cwd: app,
  env: { ...env, APP_URL: `http://127.0.0.1:${port}`, SEED_FILE: seedFile, CHROMIUM: chromium },
  stdio: "inherit",
});
stop();
process.exit(tests.status ?? 1);
