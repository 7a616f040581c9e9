#!/usr/bin/env node
// `npm test`: builds the local JSON-RPC node (the workspace's `localnet` binary:
// surfpool running target/deploy/*.so) and the CLI, then for each group of suites
// starts a fresh node (its own deployer, so each group initialises its own protocol),
// waits until it is ready, runs the group's tests against it, and stops it whatever
// happens: the client and lifecycle suites, then the operations suite (the deployment
// guide's steps with the CLI, the keeper and health).
//
// The programs are deployed with a fresh deployer keypair as their upgrade authority
// (`--upgrade-authority`); the tests get it as LOCALNET_DEPLOYER (a keypair file) and
// pay with it, so their `initialize_protocol` carries the upgrade authority's signature.
//
// LOCALNET_URL set: no node is started; the tests use that node (one you run yourself,
// with LOCALNET_DEPLOYER naming the keypair file you gave it as `--upgrade-authority`).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { Keypair } from "@solana/web3.js";

const here = dirname(fileURLToPath(import.meta.url));
const client = join(here, "..");
const root = join(client, "..", "..");

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** The suites, by group: each group gets a node of its own. */
const GROUPS = [["tests/client.test.ts", "tests/lifecycle.test.ts"], ["tests/operations.test.ts"]];

function runTests(files, env) {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files],
    { cwd: client, env: { ...process.env, ...env }, stdio: "inherit" },
  );
  return r.status ?? 1;
}

// On a node you run yourself, only the first group: the operations suite initialises
// the protocol itself and needs a fresh node.
if (process.env.LOCALNET_URL) {
  process.exit(runTests(GROUPS[0], {}));
}

for (const so of ["insurance_pool.so", "example_exchange.so"]) {
  if (!existsSync(join(root, "target", "deploy", so))) {
    console.error(`missing target/deploy/${so}: build the SBF binaries first (bash scripts/build-sbf.sh)`);
    process.exit(2);
  }
}
// The node, and the Rust CLI that one test drives over the same JSON-RPC.
const build = spawnSync("cargo", ["build", "--locked", "-q", "-p", "insurance-pool-localnet", "-p", "insurance-pool-cli"], {
  cwd: root,
  stdio: "inherit",
});
if (build.status !== 0) process.exit(build.status ?? 1);

process.on("SIGINT", () => process.exit(130));

/** Starts a fresh node, runs `files` against it, stops it; the tests' exit status. */
async function withNode(files) {
  const keyDir = mkdtempSync(join(tmpdir(), "localnet-deployer-"));
  const deployer = join(keyDir, "deployer.json");
  writeFileSync(deployer, JSON.stringify(Array.from(Keypair.generate().secretKey)));

  const port = await freePort();
  let wsPort = await freePort();
  while (wsPort === port) wsPort = await freePort();
  const node = spawn(
    join(root, "target", "debug", "localnet"),
    ["--port", String(port), "--ws-port", String(wsPort), "--upgrade-authority", deployer],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const stop = () => {
    if (node.exitCode === null) node.kill("SIGKILL");
    rmSync(keyDir, { recursive: true, force: true });
  };
  process.on("exit", stop);

  const ready = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 120_000);
    const watch = (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
      if (output.includes("localnet ready")) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    node.stdout.setEncoding("utf8").on("data", watch);
    node.stderr.setEncoding("utf8").on("data", (c) => process.stderr.write(c));
    node.on("exit", (code) => {
      clearTimeout(timer);
      resolve(false);
      if (!output.includes("localnet ready")) console.error(`localnet exited (${code}) before it was ready`);
    });
  });
  if (!ready) {
    stop();
    console.error("localnet did not become ready");
    return 1;
  }
  const status = runTests(files, {
    LOCALNET_URL: `http://127.0.0.1:${port}`,
    LOCALNET_WS: `ws://127.0.0.1:${wsPort}`,
    LOCALNET_DEPLOYER: deployer,
  });
  stop();
  return status;
}

let failed = 0;
for (const files of GROUPS) {
  const status = await withNode(files);
  if (status !== 0) failed = status;
}
process.exit(failed);
