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
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { buildNode, startNode } from "./localnet.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const client = join(here, "..");
const root = join(client, "..", "..");

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
const built = buildNode();
if (built !== 0) process.exit(built);

process.on("SIGINT", () => process.exit(130));

/** Starts a fresh node, runs `files` against it, stops it; the tests' exit status. */
async function withNode(files) {
  const node = await startNode();
  if (!node) return 1;
  const status = runTests(files, { LOCALNET_URL: node.url, LOCALNET_WS: node.ws, LOCALNET_DEPLOYER: node.deployer });
  node.stop();
  return status;
}

let failed = 0;
for (const files of GROUPS) {
  const status = await withNode(files);
  if (status !== 0) failed = status;
}
process.exit(failed);
