/**
 * The web app in real Chromium (Debian's package, driven by playwright-core) against a
 * local node running the SBF binaries, seeded with the demo scenario
 * (`clients/ts/scripts/seed-demo.ts`). Each actor has its own browser context with a
 * test-only wallet: a Wallet Standard wallet registered by an init script, whose
 * signing is done here in Node with the actor's key (never part of the app's build).
 *
 * Scenarios: connect; deposit and see the share value; buy cover at the quoted price;
 * file a claim (its evidence hashed in the browser), a refused early finalize naming the
 * program error, votes from two underwriters, time moved, finalize, pay; the guardian
 * pauses deposits and the deposit button says why it is disabled. Every page is
 * screenshotted into test-output/ and checked not to be blank.
 *
 * Run by `npm --prefix app test` (scripts/e2e.mjs starts the node, seeds it, serves the
 * app and sets APP_URL, SEED_FILE, LOCALNET_URL, CHROMIUM).
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";

import { getAssociatedTokenAddressSync, TOKEN_PROGRAM_ID } from "@solana/spl-token";
import { Keypair, PublicKey, SYSVAR_CLOCK_PUBKEY, Connection, VersionedTransaction } from "@solana/web3.js";
import { chromium, type Browser, type Page } from "playwright-core";
import { PNG } from "pngjs";

const APP_URL = process.env.APP_URL!;
const RPC = process.env.LOCALNET_URL!;
const WS = process.env.LOCALNET_WS!;
const seed = JSON.parse(readFileSync(process.env.SEED_FILE!, "utf8")) as {
  mint: string;
  treasury: string;
  vaults: { a: string };
  markets: { a: string; b: string };
  keys: Record<"guardian" | "u1" | "u2" | "member" | "claimant" | "newcomer" | "buyer", number[]>;
};
const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "test-output");
mkdirSync(OUT, { recursive: true });
const connection = new Connection(RPC, "confirmed");
const DAY = 86_400;
const A = seed.markets.a;

async function now(): Promise<number> {
  const info = await connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY);
  return Number(info!.data.readBigInt64LE(32));
}
/** Moves the node's clock forward (surfpool's `surfnet_timeTravel`). */
async function warp(seconds: number) {
  const target = (await now()) + seconds;
  const res = await fetch(RPC, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "surfnet_timeTravel", params: [{ absoluteTimestamp: target * 1000 }] }),
  });
  assert.equal(((await res.json()) as { error?: unknown }).error, undefined);
}

/** The unix time of the first ISO-8601 instant in `text`. */
function isoTime(text: string | null): number {
  const m = (text ?? "").match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/);
  assert.ok(m, `no time in ${JSON.stringify(text)}`);
  return Date.parse(m[0]) / 1000;
}

/** A screenshot of `page` in test-output/, checked to show more than one colour. */
async function shot(page: Page, name: string) {
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  const png = PNG.sync.read(readFileSync(path));
  const colours = new Set<number>();
  for (let i = 0; i < png.data.length && colours.size < 50; i += 4 * 97) colours.add(png.data.readUInt32BE(i));
  assert.ok(colours.size >= 10, `${name}.png looks blank (${colours.size} colours)`);
}

let browser: Browser;

/** A page whose wallet is `who`'s key (a test-only Wallet Standard wallet). */
async function actor(who: keyof typeof seed.keys): Promise<Page> {
  const key = Keypair.fromSecretKey(Uint8Array.from(seed.keys[who]));
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.exposeFunction("__testWalletSign", (bytes: number[]) => {
    const tx = VersionedTransaction.deserialize(Uint8Array.from(bytes));
    tx.sign([key]);
    return Array.from(tx.serialize());
  });
  // Plain JavaScript (a string, so no compiler helper leaks into the page): a Wallet
  // Standard wallet that signs through the function exposed above.
  const wallet = { address: key.publicKey.toBase58(), publicKey: Array.from(key.publicKey.toBytes()), name: `Test ${who}` };
  await context.addInitScript(`(() => {
    const cfg = ${JSON.stringify(wallet)};
    const chains = ["solana:localnet", "solana:devnet"];
    const account = { address: cfg.address, publicKey: Uint8Array.from(cfg.publicKey), chains, features: ["solana:signTransaction"] };
    const wallet = {
      version: "1.0.0",
      name: cfg.name,
      icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSIxIiBoZWlnaHQ9IjEiLz4=",
      chains,
      accounts: [account],
      features: {
        "standard:connect": { version: "1.0.0", connect: async () => ({ accounts: [account] }) },
        "standard:events": { version: "1.0.0", on: () => () => {} },
        "solana:signTransaction": {
          version: "1.0.0",
          supportedTransactionVersions: ["legacy", 0],
          signTransaction: (...inputs) => Promise.all(inputs.map(async (i) => ({
            signedTransaction: Uint8Array.from(await window.__testWalletSign(Array.from(i.transaction))),
          }))),
        },
      },
    };
    const register = (api) => api.register(wallet);
    window.addEventListener("wallet-standard:app-ready", (e) => register(e.detail));
    window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", { detail: register }));
  })();`);
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${who}] page error: ${e.message}`));
  return page;
}

async function open(page: Page, hash: string, who: string) {
  await page.goto(`${APP_URL}/?rpc=${encodeURIComponent(RPC)}&ws=${encodeURIComponent(WS)}#${hash}`);
  await page.getByTestId(`connect-Test ${who}`).click();
  await page.getByTestId("wallet").waitFor();
}

/** Waits until the last transaction confirmed (a link to the explorer) or fails with the app's error text. */
async function confirmed(page: Page) {
  const outcome = await Promise.race([
    page.getByTestId("tx").waitFor({ timeout: 30_000 }).then(() => "ok"),
    page.getByTestId("error").waitFor({ timeout: 30_000 }).then(async () => `error: ${await page.getByTestId("error").textContent()}`),
  ]);
  assert.equal(outcome, "ok");
}

const tokens = (text: string | null) => Number((text ?? "").replace(/[^0-9.]/g, ""));

describe("the web app in Chromium over JSON-RPC", () => {
  before(async () => {
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  });
  after(async () => browser?.close());

  it("connects a wallet and lists both pools", async () => {
    const page = await actor("newcomer");
    await open(page, "/pools", "newcomer");
    await page.getByTestId(`pool-${A}`).waitFor();
    await page.getByTestId(`pool-${seed.markets.b}`).waitFor();
    assert.match((await page.getByTestId("wallet").textContent()) ?? "", /Test newcomer/);
    await shot(page, "pools");
  });

  it("deposits and shows the share value", async () => {
    const page = await actor("newcomer");
    await open(page, `/pool/${A}`, "newcomer");
    // Before depositing, the page says when a deposit made now would vote: the start of
    // the second 3-day stake period after this one (the program's rule).
    const promised = isoTime(await page.getByTestId("deposit-votes-from").textContent());
    // The seeded claim (1 000) is being voted on: the page says a deposit bears it too.
    assert.match((await page.getByTestId("deposit-voting-claims").textContent()) ?? "", /Claims of 1000(\.0+)? are being voted on/);
    const before = await now();
    assert.equal(promised % (3 * DAY), 0, `${promised} starts a stake period`);
    assert.ok(promised - before > 3 * DAY - 60 && promised - before <= 6 * DAY, `votes ${promised - before}s after ${before}`);
    await page.getByTestId("deposit-amount").fill("1000");
    await page.getByTestId("deposit").click();
    await confirmed(page);
    await page.getByTestId("share-value").waitFor();
    await page.waitForFunction(() => Number(document.querySelector("[data-testid=share-value]")?.textContent) > 0);
    const value = tokens(await page.getByTestId("share-value").textContent());
    // Worth the deposit less its share of the seeded claim still voting (1 000 of a
    // ~181 000 pool): the program values shares on exit capital, so a claim being voted
    // is borne by everyone, newcomers included.
    assert.ok(value > 990 && value < 1000, `a 1000 deposit is worth ${value}`);
    // The position says the same (unless the deposit landed in the next period).
    const votes = isoTime(await page.getByTestId("votes-from").textContent());
    assert.ok(votes === promised || votes === promised + 3 * DAY, `position votes from ${votes}, promised ${promised}`);
    await shot(page, "pool");
  });

  it("buys cover at the quoted price on a deployment that charges a protocol fee", async () => {
    // The seeded protocol charges 5 % of premiums to a treasury that has no token
    // account for this mint yet: the app creates it in the purchase's transaction.
    const buyer = Keypair.fromSecretKey(Uint8Array.from(seed.keys.buyer)).publicKey;
    const mint = new PublicKey(seed.mint);
    const [buyerToken, treasuryToken, vault] = [
      getAssociatedTokenAddressSync(mint, buyer, true, TOKEN_PROGRAM_ID),
      getAssociatedTokenAddressSync(mint, new PublicKey(seed.treasury), true, TOKEN_PROGRAM_ID),
      new PublicKey(seed.vaults.a),
    ];
    const balance = async (account: PublicKey) => {
      const info = await connection.getAccountInfo(account);
      return info ? BigInt((await connection.getTokenAccountBalance(account)).value.amount) : 0n;
    };
    const before = await Promise.all([buyerToken, treasuryToken, vault].map(balance));
    const page = await actor("buyer");
    await open(page, `/pool/${A}`, "buyer");
    await page.getByTestId("cover-notional").fill("5000");
    await page.getByTestId("quote-premium").waitFor();
    const quoted = tokens(await page.getByTestId("quote-premium").textContent());
    assert.ok(quoted > 0);
    await page.getByTestId("buy-cover").click();
    await confirmed(page);
    await page.getByTestId("premiums-paid").waitFor();
    const paid = tokens(await page.getByTestId("premiums-paid").textContent());
    assert.ok(Math.abs(paid - quoted) <= quoted * 0.005, `paid ${paid}, quoted ${quoted}`);
    // What the buyer paid went to the vault and the treasury, and nowhere else; the
    // treasury got its fee.
    const after = await Promise.all([buyerToken, treasuryToken, vault].map(balance));
    const [spent, fee, toPool] = [before[0] - after[0], after[1] - before[1], after[2] - before[2]];
    assert.equal(fee + toPool, spent, `spent ${spent}, fee ${fee}, to the pool ${toPool}`);
    assert.ok(fee > 0n && toPool > fee, `fee ${fee}, to the pool ${toPool}`);
    assert.ok(Math.abs(Number(spent) / 1e6 - quoted) <= quoted * 0.005, `spent ${spent}, quoted ${quoted}`);
    await shot(page, "cover");
  });

  it("files a claim, refuses an early finalize by name, takes two votes, finalizes and pays", async () => {
    const member = await actor("member");
    await open(member, `/claims/${A}`, "member");
    await member.getByTestId("claim-amount").fill("500");
    await member.getByTestId("claim-uri").fill("ipfs://evidence");
    await member.getByTestId("claim-file").setInputFiles({ name: "evidence.txt", mimeType: "text/plain", buffer: Buffer.from("the liquidation report") });
    await member.getByTestId("claim-hash").waitFor();
    await member.getByTestId("file-claim").click();
    await confirmed(member);
    await member.getByTestId("claim-1-status").waitFor();
    assert.equal(await member.getByTestId("claim-1-status").textContent(), "voting");
    // Finalizing during the vote is refused: the page names the program error.
    await member.getByTestId("finalize-1").click();
    await member.getByTestId("error").waitFor();
    assert.match((await member.getByTestId("error").textContent()) ?? "", /finalize refused: VotingNotOver: /);
    await shot(member, "claims-refused");

    for (const who of ["u1", "u2"] as const) {
      const voter = await actor(who);
      await open(voter, `/claims/${A}`, who);
      await voter.getByTestId("vote-yes-1").click();
      await confirmed(voter);
    }
    await warp(3 * DAY + 60);
    await member.reload();
    await member.getByTestId("connect-Test member").click();
    await member.getByTestId("finalize-1").click();
    await confirmed(member);
    await member.waitForFunction(() => document.querySelector("[data-testid=claim-1-status]")?.textContent === "approved");
    await shot(member, "claims");
    await warp(2 * DAY + 60);
    await member.reload();
    await member.getByTestId("connect-Test member").click();
    await member.getByTestId("pay-1").click();
    await confirmed(member);
    await member.waitForFunction(() => document.querySelector("[data-testid=claim-1-status]")?.textContent === "paid");
  });

  it("lets the guardian pause deposits, and the deposit button says why it is disabled", async () => {
    const guardian = await actor("guardian");
    await open(guardian, `/claims/${A}`, "guardian");
    await guardian.getByTestId("guardian").waitFor();
    await guardian.getByTestId("pause-deposits").click();
    await confirmed(guardian);
    await shot(guardian, "guardian");
    const page = await actor("newcomer");
    await open(page, `/pool/${A}`, "newcomer");
    await page.getByTestId("deposit-reason").waitFor();
    assert.equal(await page.getByTestId("deposit").isDisabled(), true);
    assert.match((await page.getByTestId("deposit-reason").textContent()) ?? "", /paused by the guardian/);
    await shot(page, "paused");
    // Clearing a pause is governance's: the guardian's view has no unpause button.
    assert.equal(await guardian.getByTestId("unpause").count(), 0);
  });
});
