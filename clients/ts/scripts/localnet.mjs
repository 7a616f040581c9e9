// Starting and stopping the workspace's local JSON-RPC node (`target/debug/localnet`:
// surfpool running target/deploy/*.so), with a fresh deployer keypair as the programs'
// upgrade authority. Used by `npm test` here and by the web app's browser tests.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { Keypair } from "@solana/web3.js";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * What every suite builds before starting a node: the node and the CLI, in one cargo
 * invocation. The TypeScript suite drives the CLI too; the browser suite and
 * `scripts/app.sh` build the same set, so Cargo unifies features the same way and
 * nothing is recompiled between them. Returns cargo's exit status.
 */
export const NODE_BUILD = ["build", "--locked", "-q", "-p", "insurance-pool-localnet", "-p", "insurance-pool-cli"];
export function buildNode() {
  return spawnSync("cargo", NODE_BUILD, { cwd: root, stdio: "inherit" }).status ?? 1;
}

export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/**
 * Starts a node; resolves to `{ url, ws, deployer, stop }` once it is ready (`deployer`:
 * the keypair file of the upgrade authority), or to `null` if it did not start.
 */
export async function startNode({ quiet = false } = {}) {
  const keyDir = mkdtempSync(join(tmpdir(), "localnet-deployer-"));
  const deployer = join(keyDir, "deployer.json");
  writeFileSync(deployer, JSON.stringify(Array.from(Keypair.generate().secretKey)));
  const port = await freePort();
  let wsPort = await freePort();
  while (wsPort === port) wsPort = await freePort();
  const node = spawn(
    join(root, "target", "debug", "localnet"),
    ["--port", String(port), "--ws-port", String(wsPort), "--upgrade-authority", deployer],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const stop = () => {
    if (node.exitCode === null) node.kill("SIGKILL");
    rmSync(keyDir, { recursive: true, force: true });
  };
  process.on("exit", stop);
  const ready = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 120_000);
    node.stdout.setEncoding("utf8").on("data", (chunk) => {
      output += chunk;
      if (!quiet) process.stdout.write(chunk);
      if (output.includes("localnet ready")) {
        clearTimeout(timer);
        resolve(true);
      }
    });
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
    return null;
  }
  return { url: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${wsPort}`, deployer, stop };
}
