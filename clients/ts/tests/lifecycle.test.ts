/**
 * The full lifecycle over JSON-RPC against a local node running the SBF binaries:
 * two pools, deposits, a quote and a premium, a liquidation shortfall covered through
 * the example exchange (CPI), a claim voted and paid, a withdrawal after its cooldown,
 * and refused attacks (named errors, nothing changed). Isolation: market B's pool is
 * checked untouched after every value-moving step.
 *
 * Needs LOCALNET_URL (set by `npm test`, which starts and stops the node).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";

import { AnchorProvider, BN, Wallet } from "@anchor-lang/core";
import {
  createAssociatedTokenAccount,
  createMint,
  getAccount,
  mintTo,
  TOKEN_PROGRAM_ID,
} from "@solana/spl-token";
import {
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  SYSVAR_CLOCK_PUBKEY,
  Transaction,
  type TransactionInstruction,
} from "@solana/web3.js";

import {
  claimAddress,
  decodeError,
  defaultParams,
  ExampleExchangeClient,
  exchangeKeys,
  exchangeRegistrationAddress,
  InsurancePoolClient,
  type ExchangeKeys,
} from "../src/index.js";

const url = process.env.LOCALNET_URL;
if (!url) throw new Error("LOCALNET_URL is not set: run `npm test`, which starts the local node");

const connection = new Connection(url, { commitment: "confirmed", wsEndpoint: process.env.LOCALNET_WS });
const payer = Keypair.generate();
const provider = new AnchorProvider(connection, new Wallet(payer), { commitment: "confirmed" });
const pool = new InsurancePoolClient(provider);
const exchange = new ExampleExchangeClient(provider);
const guardian = Keypair.generate();

/** Sends `ixs` signed by the payer and `signers`; returns the transaction's logs. */
async function send(ixs: TransactionInstruction[], signers: Keypair[] = []): Promise<string[]> {
  const signature = await provider.sendAndConfirm(new Transaction().add(...ixs), signers);
  const tx = await connection.getTransaction(signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
  return tx?.meta?.logMessages ?? [];
}

/** Sends `ixs`, expects the program error `name`, and checks `watched` did not change. */
async function refused(ixs: TransactionInstruction[], signers: Keypair[], name: string, watched: PublicKey[]) {
  const before = await Promise.all(watched.map((k) => connection.getAccountInfo(k)));
  let error: unknown;
  try {
    await provider.sendAndConfirm(new Transaction().add(...ixs), signers);
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${name}, but the transaction succeeded`);
  const decoded = decodeError(error);
  assert.equal(decoded?.name, name, `expected ${name}, got ${JSON.stringify(decoded)} from ${error}`);
  const after = await Promise.all(watched.map((k) => connection.getAccountInfo(k)));
  after.forEach((a, i) => assert.deepEqual(a?.data, before[i]?.data, `${watched[i].toBase58()} changed`));
}

async function balance(account: PublicKey): Promise<bigint> {
  return (await getAccount(connection, account)).amount;
}

/** The node's clock (unix seconds). */
async function now(): Promise<number> {
  const info = await connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY);
  return Number(info!.data.readBigInt64LE(32));
}

/** Moves the node's clock forward by `seconds` (surfpool's `surfnet_timeTravel`). */
async function warp(seconds: number) {
  const target = ((await now()) + seconds) * 1000;
  const res = await fetch(url!, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "surfnet_timeTravel", params: [{ absoluteTimestamp: target }] }),
  });
  const body = (await res.json()) as { error?: unknown };
  assert.equal(body.error, undefined, `timeTravel: ${JSON.stringify(body.error)}`);
  assert.ok((await now()) >= target / 1000 - 1);
}

async function funded(): Promise<Keypair> {
  const k = Keypair.generate();
  const sig = await connection.requestAirdrop(k.publicKey, 10 * LAMPORTS_PER_SOL);
  await connection.confirmTransaction({ signature: sig, ...(await connection.getLatestBlockhash()) }, "confirmed");
  return k;
}

interface Party {
  key: Keypair;
  token: PublicKey;
}

describe("insurance pool over JSON-RPC (SBF binaries on a local node)", () => {
  let mint: PublicKey;
  let a: ExchangeKeys; // market A: the example exchange's market 1
  let b: ExchangeKeys; // market B: isolation witness
  let alice: Party, bob: Party, trader: Party, doomed: Party;
  let bSnapshot: (Buffer | undefined)[];
  const bWatched = () => [b.pool.pool, b.pool.vault, b.pool.exposure];
  const assertBUntouched = async () => {
    const now = await Promise.all(bWatched().map((k) => connection.getAccountInfo(k)));
    now.forEach((acc, i) => assert.deepEqual(acc?.data, bSnapshot[i], "market B's pool changed"));
  };

  const party = async (tokens: number): Promise<Party> => {
    const key = await funded();
    const token = await createAssociatedTokenAccount(connection, payer, mint, key.publicKey);
    if (tokens > 0) await mintTo(connection, payer, mint, token, payer, tokens);
    return { key, token };
  };

  before(async () => {
    const sig = await connection.requestAirdrop(payer.publicKey, 100 * LAMPORTS_PER_SOL);
    await connection.confirmTransaction({ signature: sig, ...(await connection.getLatestBlockhash()) }, "confirmed");
    mint = await createMint(connection, payer, payer.publicKey, null, 6, undefined, undefined, TOKEN_PROGRAM_ID);
    a = exchangeKeys(1, mint, TOKEN_PROGRAM_ID);
    b = exchangeKeys(2, mint, TOKEN_PROGRAM_ID);
  });

  it("initialises the protocol and creates two markets' pools", async () => {
    const logs = await send([await pool.initializeProtocol(payer.publicKey, payer.publicKey, guardian.publicKey)]);
    assert.ok(pool.parseEvents(logs).some((e) => e.name === "protocolInitialized"));
    for (const k of [a, b]) {
      await send([
        await exchange.createMarket(payer.publicKey, k, { maintenanceMarginBps: new BN(500), maxLeverage: new BN(10) }),
        await pool.createPool(payer.publicKey, payer.publicKey, k.pool, defaultParams()),
      ]);
    }
    const p = await pool.fetchPool(a.pool);
    assert.ok(p.market.equals(a.market) && p.mint.equals(mint));
    assert.equal(p.capital.toNumber(), 0);
    await send([
      await pool.registerExchange(payer.publicKey, payer.publicKey, a.pool, a.authority, a.collateralVault, {
        perEventCap: new BN(600),
        perEpochCap: new BN(1_000),
        epochLength: new BN(86_400),
      }),
    ]);
    const reg = await pool.fetchRegistration(a.pool, a.authority);
    assert.equal(reg.limits.perEventCap.toNumber(), 600);
  });

  it("takes deposits and mints shares", async () => {
    alice = await party(10_000);
    bob = await party(5_000);
    for (const [u, amount] of [[alice, 10_000], [bob, 5_000]] as const) {
      const logs = await send([await pool.deposit(u.key.publicKey, a.pool, u.token, amount)], [u.key]);
      const ev = pool.parseEvents(logs).find((e) => e.name === "deposited");
      assert.equal((ev?.data.amount as BN).toNumber(), amount);
    }
    const p = await pool.fetchPool(a.pool);
    assert.equal(p.capital.toNumber(), 15_000);
    assert.equal(await balance(a.pool.vault), 15_000n);
    bSnapshot = (await Promise.all(bWatched().map((k) => connection.getAccountInfo(k)))).map((x) => x?.data);
  });

  it("quotes a premium by simulation and charges exactly the quote", async () => {
    trader = await party(5_000);
    const quote = await pool.quote(a.pool, 20_000);
    assert.ok(quote.premium.toNumber() > 0 && quote.rateBps.toNumber() >= 50);
    const before = await balance(trader.token);
    const logs = await send(
      [await pool.contributePremium(trader.key.publicKey, a.pool, trader.token, 20_000, quote.premium)],
      [trader.key],
    );
    assert.equal(before - (await balance(trader.token)), BigInt(quote.premium.toString()));
    const ev = pool.parseEvents(logs).find((e) => e.name === "premiumContributed");
    assert.ok(ev, "PremiumContributed event");
    const p = await pool.fetchPool(a.pool);
    assert.equal(p.capital.toNumber(), 15_000 + quote.premium.toNumber());
    assert.equal(await balance(a.pool.vault), BigInt(p.capital.toString()));
    const member = await pool.fetchMember(a.pool, trader.key.publicKey);
    assert.equal(member.coveredAmount.toNumber(), 20_000);
    await assertBUntouched();
  });

  it("covers a liquidation shortfall through the exchange's CPI, up to the per-event cap", async () => {
    doomed = await party(1_000);
    await send(
      [
        await exchange.depositCollateral(doomed.key.publicKey, a, doomed.token, 1_000),
        await exchange.openPosition(doomed.key.publicKey, a, 10, 1_000),
      ],
      [doomed.key],
    );
    const capital = (await pool.fetchPool(a.pool)).capital.toNumber();
    const vault = await balance(a.collateralVault);
    // At 800 the position's equity is 1 000 + 10 x (800 - 1 000) = -1 000.
    const logs = await send([await exchange.liquidate(payer.publicKey, a, doomed.key.publicKey, 800)]);
    const ev = pool.parseEvents(logs).find((e) => e.name === "shortfallCovered");
    assert.ok(ev, "ShortfallCovered event from the CPI");
    assert.equal((ev.data.amount as BN).toNumber(), 1_000);
    assert.equal((ev.data.covered as BN).toNumber(), 600);
    assert.equal((ev.data.uncovered as BN).toNumber(), 400);
    assert.equal((await pool.fetchPool(a.pool)).capital.toNumber(), capital - 600);
    assert.equal((await balance(a.collateralVault)) - vault, 600n);
    const market = await exchange.fetchMarket(a);
    assert.equal(market.socializedLoss.toNumber(), 400);
    await assertBUntouched();
  });

  it("refuses attacks by name and changes nothing", async () => {
    const mallory = await party(1_000);
    // A stranger cannot change a pool's parameters.
    await refused(
      [await pool.updatePoolParams(mallory.key.publicKey, a.pool, { ...defaultParams(), minReserve: new BN(0) })],
      [mallory.key],
      "Unauthorized",
      [a.pool.pool],
    );
    // Nor draw on the pool as if it were a registered exchange.
    const fake = exchangeRegistrationAddress(a.pool.pool, mallory.key.publicKey);
    await refused(
      [await pool.coverShortfall(mallory.key.publicKey, a.pool, fake, mallory.token, 500, 0)],
      [mallory.key],
      "AccountNotInitialized",
      [a.pool.pool, a.pool.vault, mallory.token],
    );
    // A deposit into market A cannot be routed into market B's vault.
    const wrongVault = { ...a.pool, vault: b.pool.vault };
    await refused(
      [await pool.deposit(mallory.key.publicKey, wrongVault, mallory.token, 100)],
      [mallory.key],
      "WrongVault",
      [a.pool.pool, a.pool.vault, b.pool.vault, mallory.token],
    );
    assert.equal(await balance(mallory.token), 1_000n);
    await assertBUntouched();
  });

  it("files a claim, counts the vote, pays it after the hold-up and returns the bond", async () => {
    const id = (await pool.fetchPool(a.pool)).claimCount;
    const claim = claimAddress(a.pool.pool, id);
    const before = await balance(trader.token);
    await send(
      [await pool.fileClaim(trader.key.publicKey, a.pool, id, trader.token, 500, new Uint8Array(32).fill(7), "ipfs://evidence")],
      [trader.key],
    );
    const bond = before - (await balance(trader.token));
    assert.equal(bond, 50n, "bond = max(bond_min, 1 % of 500)");
    for (const voter of [alice, bob]) {
      const logs = await send([await pool.castVote(voter.key.publicKey, a.pool, claim, true)], [voter.key]);
      assert.ok(pool.parseEvents(logs).some((e) => e.name === "voteCast"));
    }
    await refused([await pool.finalizeClaim(a.pool, claim, trader.key.publicKey)], [], "VotingNotOver", [claim]);
    await warp(3 * 86_400 + 60);
    await send([await pool.finalizeClaim(a.pool, claim, trader.key.publicKey)]);
    assert.deepEqual(Object.keys((await pool.fetchClaim(a.pool, id)).status), ["approved"]);
    await warp(2 * 86_400 + 60);
    const capital = (await pool.fetchPool(a.pool)).capital.toNumber();
    const logs = await send([await pool.payClaim(a.pool, claim, trader.key.publicKey, trader.token)]);
    const paid = pool.parseEvents(logs).find((e) => e.name === "claimPaid");
    assert.equal((paid?.data.paid as BN).toNumber(), 500);
    assert.equal((await pool.fetchPool(a.pool)).capital.toNumber(), capital - 500);
    await send([await pool.withdrawBond(a.pool, claim, trader.token)]);
    assert.equal((await balance(trader.token)) - before, 500n, "paid 500, bond returned");
    await assertBUntouched();
  });

  it("withdraws only after the cooldown, at the current share price", async () => {
    const u = await pool.fetchUnderwriter(a.pool, alice.key.publicKey);
    await send([await pool.requestWithdrawal(alice.key.publicKey, a.pool, u.shares)], [alice.key]);
    await refused(
      [await pool.completeWithdrawal(alice.key.publicKey, a.pool, alice.token)],
      [alice.key],
      "CooldownNotElapsed",
      [a.pool.pool, a.pool.vault, alice.token],
    );
    await warp(86_400 + 60);
    const p = await pool.fetchPool(a.pool);
    const expected = BigInt(u.shares.mul(p.capital).div(p.totalShares).toString());
    const before = await balance(alice.token);
    await send([await pool.completeWithdrawal(alice.key.publicKey, a.pool, alice.token)], [alice.key]);
    const got = (await balance(alice.token)) - before;
    assert.ok(got <= expected && expected - got <= 1n, `withdrew ${got}, value ${expected}`);
    const after = await pool.fetchPool(a.pool);
    assert.equal(await balance(a.pool.vault), BigInt(after.capital.toString()), "vault = capital");
    await assertBUntouched();
  });

  it("the Rust CLI reads, writes and analyses the same pool over JSON-RPC", async (t) => {
    const cli = join(__dirname, "..", "..", "..", "target", "debug", "insurance-pool");
    if (!existsSync(cli)) {
      t.skip("target/debug/insurance-pool not built (cargo build -p insurance-pool-cli)");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "pool-cli-"));
    try {
      const keyfile = join(dir, "alice.json");
      writeFileSync(keyfile, JSON.stringify(Array.from(alice.key.secretKey)));
      const run = (...args: string[]) => spawnSync(cli, ["-u", url!, "-k", keyfile, ...args], { encoding: "utf8" });
      const market = a.market.toBase58();
      // Read: the CLI's JSON equals the client's decoding.
      const read = run("--json", "pool", market);
      assert.equal(read.status, 0, read.stderr);
      const before = await pool.fetchPool(a.pool);
      assert.equal(JSON.parse(read.stdout).capital, before.capital.toNumber());
      // Write: a deposit signed by the CLI lands on the same node.
      const dep = run("deposit", market, "100");
      assert.equal(dep.status, 0, dep.stderr);
      assert.match(dep.stdout, /signature: \w+/);
      assert.equal((await pool.fetchPool(a.pool)).capital.toNumber(), before.capital.toNumber() + 100);
      // A refused write prints the decoded error, not a hex code.
      const bad = run("deposit", market, "0");
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /ZeroAmount|zero/i);
      // The actuary reads the pool and its losses from the chain: the shortfall (1 000
      // reported) and the paid claim (500) - too few to fit, and it says how many it found.
      const act = run("actuary", "--market", market, "--out", join(dir, "report"));
      assert.notEqual(act.status, 0);
      assert.match(act.stderr, /2 losses: at least 20 are needed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
