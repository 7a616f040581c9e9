/**
 * Seeds a local node with the demo scenario the web app shows (`scripts/app.sh`) and
 * its browser tests start from: the protocol (the deployer as authority, a guardian),
 * two markets' pools (A wired to the example exchange, B plain), underwriters in both,
 * a liquidation shortfall covered by A's pool through the exchange, covers bought, and
 * an open claim. Time is moved with surfpool's `surfnet_timeTravel` past the exchange's
 * activation delay and the covers' waiting period.
 *
 *   LOCALNET_URL=... LOCALNET_DEPLOYER=deployer.json node --import tsx scripts/seed-demo.ts OUT.json
 *
 * OUT.json gets the addresses and the secret keys of every actor (test keys of a local
 * node: the browser tests sign with them through their test wallet).
 */
import { writeFileSync } from "node:fs";

import { BN } from "@anchor-lang/core";
import { createAssociatedTokenAccount, createMint, mintTo, TOKEN_PROGRAM_ID } from "@solana/spl-token";
import { Keypair, LAMPORTS_PER_SOL } from "@solana/web3.js";

import { activationDelay, ExampleExchangeClient, exchangeKeys, exchangeLimits, InsurancePoolClient, parseAmount } from "../src/index.js";
import { defaultParams } from "../tests/fixtures.js";
import { connection, now, payer, provider, send, warp } from "../tests/node.js";

const out = process.argv[2];
if (!out) throw new Error("usage: seed-demo.ts OUT.json");

const DAY = 86_400;
const tokens = (t: string) => parseAmount(t, 6);
const pool = new InsurancePoolClient(provider);
const exchange = new ExampleExchangeClient(provider);

async function funded(): Promise<Keypair> {
  const k = Keypair.generate();
  const sig = await connection.requestAirdrop(k.publicKey, 10 * LAMPORTS_PER_SOL);
  await connection.confirmTransaction({ signature: sig, ...(await connection.getLatestBlockhash()) }, "confirmed");
  return k;
}

async function main() {
  const sig = await connection.requestAirdrop(payer.publicKey, 1_000 * LAMPORTS_PER_SOL);
  await connection.confirmTransaction({ signature: sig, ...(await connection.getLatestBlockhash()) }, "confirmed");
  const guardian = await funded();
  const mint = await createMint(connection, payer, payer.publicKey, null, 6, undefined, undefined, TOKEN_PROGRAM_ID);
  const party = async (amount: string) => {
    const key = await funded();
    const token = await createAssociatedTokenAccount(connection, payer, mint, key.publicKey);
    await mintTo(connection, payer, mint, token, payer, BigInt(tokens(amount).toString()));
    return { key, token };
  };
  const params = defaultParams();
  const [a, b] = [exchangeKeys(1, mint, TOKEN_PROGRAM_ID), exchangeKeys(2, mint, TOKEN_PROGRAM_ID)];

  await send([await pool.initializeProtocol(payer.publicKey, payer.publicKey, payer.publicKey, guardian.publicKey)]);
  // A deployment's shape: a protocol fee (5 % of premiums) to a treasury whose token
  // account the first fee payer creates (the clients add it idempotently).
  const treasury = Keypair.generate();
  await send([
    await pool.updateProtocol(payer.publicKey, { guardian: null, pendingAuthority: null, treasury: treasury.publicKey, protocolFeeBps: 500 }),
  ]);
  await send([
    await exchange.createMarket(payer.publicKey, a, { maintenanceMarginBps: new BN(500), maxLeverage: new BN(10), maxPriceAge: new BN(3_600) }, payer.publicKey),
    await pool.createPool(payer.publicKey, payer.publicKey, a.pool, params),
  ]);
  await send([await pool.createPool(payer.publicKey, payer.publicKey, b.pool, params)]);
  await send([
    await pool.registerExchange(
      payer.publicKey,
      payer.publicKey,
      a.pool,
      a.authority,
      a.collateralVault,
      exchangeLimits({ perEventCap: tokens("5000"), perEpochCap: tokens("20000"), epochLength: DAY }),
    ),
  ]);

  // Underwriters: two in A (they vote on A's claims), one in B.
  const [u1, u2, u3] = [await party("500000"), await party("500000"), await party("500000")];
  await send([await pool.deposit(u1.key.publicKey, a.pool, u1.token, tokens("100000"))], [u1.key]);
  await send([await pool.deposit(u2.key.publicKey, a.pool, u2.token, tokens("80000"))], [u2.key]);
  await send([await pool.deposit(u3.key.publicKey, b.pool, u3.token, tokens("50000"))], [u3.key]);

  // Past the registration's activation delay: the exchange may draw.
  await warp(activationDelay(params).toNumber() + DAY);

  // A liquidation shortfall on A: a position of 10 at 1 000 on 1 000 of collateral, the
  // price falls to 800, the exchange's liquidation draws the shortfall from A's pool.
  const trader = await party("10");
  await send([await exchange.setPrice(payer.publicKey, a, 1_000, await now())]);
  const { instruction, setup } = await exchange.openPositionQuoted(trader.key.publicKey, a, 10);
  await send([...setup, await exchange.depositCollateral(trader.key.publicKey, a, trader.token, 1_000), instruction], [trader.key]);
  await send([await exchange.setPrice(payer.publicKey, a, 800, await now()), await exchange.liquidate(payer.publicKey, a, trader.key.publicKey)]);

  // Covers: a member with matured cover (files the browser test's claim), and a
  // claimant whose claim stays open.
  const [member, claimant] = [await party("10000"), await party("10000")];
  for (const [who, notional] of [[member, "20000"], [claimant, "5000"]] as const) {
    const { instruction: buy, setup } = await pool.buyCover(who.key.publicKey, a.pool, who.token, tokens(notional), { slippageBps: 100 });
    await send([...setup, buy], [who.key]);
  }
  await warp(2 * DAY);
  const { id } = await pool.nextClaim(a.pool, claimant.key.publicKey);
  await send(
    [await pool.fileClaim(claimant.key.publicKey, a.pool, id, claimant.token, tokens("1000"), new Uint8Array(32).fill(7), "ipfs://demo-claim")],
    [claimant.key],
  );

  // Fresh accounts the browser tests act with: a new underwriter and a cover buyer.
  const [newcomer, buyer] = [await party("50000"), await party("50000")];
  const secret = (k: Keypair) => Array.from(k.secretKey);
  const seed = {
    url: connection.rpcEndpoint,
    programId: pool.programId.toBase58(),
    mint: mint.toBase58(),
    treasury: treasury.publicKey.toBase58(),
    vaults: { a: a.pool.vault.toBase58() },
    markets: { a: a.market.toBase58(), b: b.market.toBase58() },
    keys: {
      guardian: secret(guardian),
      u1: secret(u1.key),
      u2: secret(u2.key),
      member: secret(member.key),
      claimant: secret(claimant.key),
      newcomer: secret(newcomer.key),
      buyer: secret(buyer.key),
    },
  };
  writeFileSync(out, JSON.stringify(seed, null, 2));
  const p = await pool.fetchPool(a.pool);
  console.log(
    `seeded: markets A ${a.market.toBase58()} (capital ${p.capital.toString()}, losses ${p.lossStats.count.toString()}) and B ${b.market.toBase58()}; open claim ${id.toString()} on A`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
