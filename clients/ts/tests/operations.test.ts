/**
 * The operator's side over JSON-RPC, on a node of its own, with the built CLI
 * (`target/debug/insurance-pool`, configured by a Solana CLI `config.yml`):
 *
 * 1. the deployment guide's steps (README "Deploying"): `init` signed by the upgrade
 *    authority, `create-pool` from the parameter file, `register-exchange` and its
 *    activation delay seen by `health`, the authority handed to a multisig vault (the
 *    vault's part, executing the CLI's `--output proposal`, is replayed here signed by
 *    a key standing for the vault: the one step a real deployment does in Squads or
 *    Realms), the guardian handed to a fast multisig the same way;
 * 2. the keeper: two instances at once finalise a claim (one does it, the other's
 *    transaction is refused harmlessly), an alert with the time left to veto on stdout
 *    and to a webhook, payment after the hold-up, the bond settled, then nothing to do;
 * 3. health: healthy, then non-zero exit when the vault is short of the pool's capital.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { createAssociatedTokenAccount, createMint, getAccount, mintTo, TOKEN_PROGRAM_ID } from "@solana/spl-token";
import { Keypair, LAMPORTS_PER_SOL, PublicKey, TransactionInstruction } from "@solana/web3.js";

import { exchangeKeys, InsurancePoolClient } from "../src/index.js";
import { connection, deployerFile, funded, payer, provider, send, url, warp } from "./node.js";

const root = join(__dirname, "..", "..", "..");
const cli = join(root, "target", "debug", "insurance-pool");
const paramsFile = join(root, "docs", "pool-params.example.toml");
const client = new InsurancePoolClient(provider);
const DAY = 86_400;

const dir = mkdtempSync(join(tmpdir(), "pool-ops-"));
const config = join(dir, "config.yml");
writeFileSync(config, `---\njson_rpc_url: "${url}"\nkeypair_path: ${deployerFile}\ncommitment: confirmed\n`);

/** Runs the CLI with the config file (and `-k keyfile` when given). */
function run(args: string[], keyfile?: string) {
  const key = keyfile ? ["-k", keyfile] : [];
  return spawnSync(cli, ["-C", config, ...key, ...args], { encoding: "utf8" });
}
function ok(args: string[], keyfile?: string): string {
  const r = run(args, keyfile);
  assert.equal(r.status, 0, `insurance-pool ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
function json(args: string[]) {
  return JSON.parse(ok(["--json", ...args]));
}
/** The CLI, run in the background: its exit code and output. */
function background(args: string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const p = spawn(cli, ["-C", config, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    p.stdout.setEncoding("utf8").on("data", (c) => (stdout += c));
    p.on("exit", (status) => resolve({ status, stdout }));
  });
}
/** Executes a proposal printed by `--output proposal`, signed by `vault` (what the multisig does). */
async function execute(proposal: string, vault: Keypair) {
  const ixs = (
    JSON.parse(proposal) as {
      program_id: string;
      accounts: { pubkey: string; is_signer: boolean; is_writable: boolean }[];
      data_base64: string;
    }[]
  ).map(
    (ix) =>
      new TransactionInstruction({
        programId: new PublicKey(ix.program_id),
        keys: ix.accounts.map((a) => ({ pubkey: new PublicKey(a.pubkey), isSigner: a.is_signer, isWritable: a.is_writable })),
        data: Buffer.from(ix.data_base64, "base64"),
      }),
  );
  await send(ixs, [vault]);
}
function keyfile(k: Keypair): string {
  const path = join(dir, `${k.publicKey.toBase58()}.json`);
  writeFileSync(path, JSON.stringify(Array.from(k.secretKey)));
  return path;
}
/** Sets an account's data on the node (surfpool's `surfnet_setAccount`). */
async function setData(account: PublicKey, data: Buffer) {
  const res = await fetch(url!, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "surfnet_setAccount", params: [account.toBase58(), { data: data.toString("hex") }] }),
  });
  const body = (await res.json()) as { error?: unknown };
  assert.equal(body.error, undefined, `setAccount: ${JSON.stringify(body.error)}`);
}

describe("operations over JSON-RPC: the deployment guide, the keeper, health", { skip: !existsSync(cli) && "target/debug/insurance-pool not built" }, () => {
  const market = Keypair.generate().publicKey;
  let mint: PublicKey;
  const vault = Keypair.generate();

  before(async () => {
    const sig = await connection.requestAirdrop(payer.publicKey, 100 * LAMPORTS_PER_SOL);
    await connection.confirmTransaction({ signature: sig, ...(await connection.getLatestBlockhash()) }, "confirmed");
    mint = await createMint(connection, payer, payer.publicKey, null, 6, undefined, undefined, TOKEN_PROGRAM_ID);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("runs the deployment guide's steps with the CLI", async () => {
    // initialize_protocol, signed by the upgrade authority (the deployer); the
    // deployer's hot key is the authority only until it is handed over below.
    const guardian = Keypair.generate().publicKey;
    ok(["init", "--authority", payer.publicKey.toBase58(), "--guardian", guardian.toBase58()]);
    // A pool from the parameter file (every parameter; amounts in token units).
    ok(["create-pool", market.toBase58(), "--mint", mint.toBase58(), "--params", paramsFile]);
    const keys = client.poolKeys(market, mint, TOKEN_PROGRAM_ID);
    const state = await client.fetchPool(keys);
    assert.equal(state.params.depositCap.toString(), "1000000000000000");
    assert.equal(state.params.governance.bondMin.toString(), "50");
    // An exchange: its authority is a PDA of the exchange program; it draws only after
    // the activation delay, which health shows counting down.
    const exchange = exchangeKeys(7, mint, TOKEN_PROGRAM_ID).authority;
    const destination = await createAssociatedTokenAccount(connection, payer, mint, Keypair.generate().publicKey);
    ok([
      "register-exchange", market.toBase58(), "--exchange-authority", exchange.toBase58(),
      "--destination", destination.toBase58(), "--per-event-cap", "500", "--per-epoch-cap", "2000",
    ]);
    const [row] = json(["health", "--market", market.toBase58()]);
    assert.equal(row.healthy, true);
    assert.equal(row.registrations_waiting.length, 1);
    assert.equal(row.registrations_waiting[0].waits_for, "activation");
    assert.ok(row.registrations_waiting[0].seconds_left > 30 * DAY, JSON.stringify(row));

    // The authority to a multisig vault: proposed by the deployer, accepted by the vault
    // executing the CLI's proposal.
    ok(["update-protocol", "--pending-authority", vault.publicKey.toBase58()]);
    await execute(ok(["--output", "proposal", "--signer", vault.publicKey.toBase58(), "accept-authority"]), vault);
    assert.ok((await client.fetchProtocol()).authority.equals(vault.publicKey));
    // The guardian to a fast multisig, by a proposal of the vault.
    const fast = Keypair.generate().publicKey;
    await execute(
      ok(["--output", "proposal", "--signer", vault.publicKey.toBase58(), "update-protocol", "--guardian", fast.toBase58()]),
      vault,
    );
    assert.ok((await client.fetchProtocol()).guardian.equals(fast));
    // The deployer's key can no longer act: refused by name, nothing changed.
    const refused = run(["pause", "1"]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /error: \w+ \(\d+\): /);
    assert.equal((await client.fetchProtocol()).paused, 0);
  });

  it("keeps claims moving (two keepers at once), alerts the guardian, and health catches a broken vault", async () => {
    const keys = client.poolKeys(market, mint, TOKEN_PROGRAM_ID);
    const party = async (tokens: bigint) => {
      const key = await funded();
      const token = await createAssociatedTokenAccount(connection, payer, mint, key.publicKey);
      await mintTo(connection, payer, mint, token, payer, tokens);
      return { key, token, file: keyfile(key) };
    };
    const [u1, u2, member] = [await party(5_000_000_000n), await party(5_000_000_000n), await party(1_000_000_000n)];
    const m = market.toBase58();
    ok(["deposit", m, "1000"], u1.file);
    ok(["deposit", m, "1000"], u2.file);
    ok(["contribute", m, "100"], member.file);
    // Two stake periods (3 days each) so the deposits are seasoned and vote.
    await warp(7 * DAY);
    ok(["file-claim", m, "10", "--evidence-hash", "ab".repeat(32)], member.file);
    ok(["vote", m, "0", "--approve"], u1.file);
    ok(["vote", m, "0", "--approve"], u2.file);
    await warp(3 * DAY + 60);

    // Two keepers at once: the claim is finalised once; neither fails.
    const [k1, k2] = await Promise.all([background(["keeper", "--once"]), background(["keeper", "--once"])]);
    assert.equal(k1.status, 0, k1.stdout);
    assert.equal(k2.status, 0, k2.stdout);
    const both = k1.stdout + k2.stdout;
    assert.match(both, /finalize claim 0 .*: done/);
    assert.equal(json(["claims", m])[0].status, "Approved");

    // In the hold-up: an alert with the time left, on stdout and to the webhook.
    const posts: string[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        posts.push(body);
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const alerted = await background(["keeper", "--once", "--webhook", `http://127.0.0.1:${port}/hook`]);
    server.close();
    assert.equal(alerted.status, 0);
    assert.match(alerted.stdout, /ALERT claim 0 of market \w+ approved: 10 to \w+ becomes payable at \d+ \((\d+) s left to veto/);
    assert.equal(posts.length, 1);
    const hook = JSON.parse(posts[0]);
    assert.equal(hook.event, "claim_approved_in_holdup");
    assert.ok(hook.seconds_left > 0 && hook.seconds_left <= 2 * DAY, posts[0]);

    // After the hold-up: paid, then the bond settled, then nothing left to do.
    await warp(2 * DAY + 60);
    const before = (await getAccount(connection, member.token)).amount;
    assert.match(ok(["keeper", "--once"]), /pay claim 0 .*: done/);
    assert.equal((await getAccount(connection, member.token)).amount - before, 10_000_000n);
    assert.match(ok(["keeper", "--once"]), /settle-bond claim 0 .*: done/);
    assert.match(ok(["keeper", "--once"]), /0 crank\(s\), 0 new alert\(s\)/);

    // Health: healthy; a vault short of capital exits non-zero, naming the invariant.
    assert.equal(json(["health"])[0].healthy, true);
    const vaultAccount = (await connection.getAccountInfo(keys.vault))!;
    const short = Buffer.from(vaultAccount.data);
    short.writeBigUInt64LE(short.readBigUInt64LE(64) - 1n, 64);
    await setData(keys.vault, short);
    const broken = run(["health"]);
    assert.notEqual(broken.status, 0);
    assert.match(broken.stderr, /vault holds \d+ < capital/);
    await setData(keys.vault, Buffer.from(vaultAccount.data));
    assert.equal(run(["health"]).status, 0);
  });
});
