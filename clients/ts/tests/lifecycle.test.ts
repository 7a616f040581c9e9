/**
 * The full lifecycle over JSON-RPC against a local node running the SBF binaries:
 * the protocol initialised by the programs' upgrade authority, two pools, deposits, a
 * quote with the member's account and a premium bounded by it (held as unearned
 * premium), a liquidation shortfall through the example exchange (CPI) refused before
 * the registration's activation (the volume rate's loss index unmoved) and covered after
 * it (the index rising at once by the per-event limit, then decaying by the day), trades
 * that pay the pool's volume fee by CPI once the registration is active (quoted first,
 * bounded by the quoted rate, a lower bound refused, the rate recomputed from the
 * quote's inputs; a fee that would eat the maintenance margin refused on a market whose
 * margin equals its leverage limit), a claim on matured cover voted by
 * seasoned shares and paid (deposits closed during its hold-up, payouts only to the
 * claimant's associated token account), the vote-capture attack refused, a withdrawal
 * after the deposit lock and the cooldown, and refused attacks (named errors, nothing
 * changed). Share amounts are u128 (BN).
 * Isolation: market B's pool is checked untouched after every value-moving step.
 *
 * Needs LOCALNET_URL (set by `npm test`, which starts and stops the node) and
 * LOCALNET_DEPLOYER (the keypair file given to the node as `--upgrade-authority`).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";

import { BN } from "@anchor-lang/core";
import {
  createAccount,
  createAssociatedTokenAccount,
  createMint,
  mintTo,
  TOKEN_PROGRAM_ID,
} from "@solana/spl-token";
import { Keypair, LAMPORTS_PER_SOL, PublicKey } from "@solana/web3.js";

import {
  activationDelay,
  claimAddress,
  claimantTokenAddress,
  dayOf,
  decayedLoss,
  ExampleExchangeClient,
  exchangeKeys,
  exchangeLimits,
  exchangeRegistrationAddress,
  InsurancePoolClient,
  memberAddress,
  positionAddress,
  protocolAddress,
  requiredCollateral,
  volumeFee,
  volumeLossAt,
  volumeRate,
  votesFrom,
  type ExchangeKeys,
  type VolumeQuote,
} from "../src/index.js";
import { defaultParams } from "./fixtures.js";
import { balance, connection, funded, now, payer, provider, refused, send, url, warp, warpTo } from "./node.js";

const pool = new InsurancePoolClient(provider);
const exchange = new ExampleExchangeClient(provider);
const guardian = Keypair.generate();
const DAY = 86_400;
const params = defaultParams();

interface Party {
  key: Keypair;
  token: PublicKey;
}

const num = (x: BN) => x.toNumber();

/**
 * Moves time until `keys`' pool's exit clock reads `target` (activation times are on it;
 * it stands still while the pool's claims vote or withdrawals are paused).
 */
async function warpExitClockTo(client: InsurancePoolClient, keys: Parameters<InsurancePoolClient["fetchExitClock"]>[0], target: number) {
  const clock = num(await client.fetchExitClock(keys));
  if (clock < target) await warp(target - clock);
  const reached = num(await client.fetchExitClock(keys));
  assert.ok(reached >= target, `exit clock ${reached} < ${target}: claims voting or withdrawals paused`);
}

describe("insurance pool over JSON-RPC (SBF binaries on a local node)", () => {
  let mint: PublicKey;
  let freezableMint: PublicKey;
  let a: ExchangeKeys; // market A: the example exchange's market 1
  let b: ExchangeKeys; // market B: isolation witness (a mint with a freeze authority)
  let c: ExchangeKeys; // market C: maintenance margin = the leverage limit (10 %), an empty pool
  let alice: Party, bob: Party, trader: Party, mallory: Party;
  let bSnapshot: (Buffer | undefined)[];
  let traderClaim: { id: BN; claim: PublicKey };
  let malloryClaim: PublicKey | undefined; // cancelled, held until its period ends
  let tokensBeforeClaim: bigint;
  let seasoned: BN; // Alice's and Bob's shares
  const bWatched = () => [b.pool.pool, b.pool.vault, b.pool.exposure];
  const assertBUntouched = async () => {
    const now = await Promise.all(bWatched().map((k) => connection.getAccountInfo(k)));
    now.forEach((acc, i) => assert.deepEqual(acc?.data, bSnapshot[i], "market B's pool changed"));
  };
  /** Conservation: the vault holds exactly capital + unearned premiums. */
  const assertConserved = async () => {
    const view = await pool.fetchPoolView(a.pool);
    assert.equal(await balance(a.pool.vault), BigInt(view.expectedVault.toString()), "vault = capital + unearnedPremiums");
  };

  const party = async (tokens: number, on = mint): Promise<Party> => {
    const key = await funded();
    const token = await createAssociatedTokenAccount(connection, payer, on, key.publicKey);
    if (tokens > 0) await mintTo(connection, payer, on, token, payer, tokens);
    return { key, token };
  };

  /** The market's oracle (the payer) publishes `price` as of now. */
  const publish = async (price: number) => exchange.setPrice(payer.publicKey, a, price, await now());

  /**
   * Opens a position of 10 at 1 000 on 1 000 collateral, at the quoted volume rate: the
   * pool's fee (0 while it does not accept the exchange's volume) is debited from the
   * collateral, so at 800 its equity is -1 000 - fee.
   */
  const doomedPosition = async (): Promise<{ doomed: Party; fee: number }> => {
    const doomed = await party(1_000);
    await send([await publish(1_000)]);
    const { quote, charged, instruction } = await exchange.openPositionQuoted(doomed.key.publicKey, a, 10);
    const logs = await send(
      [await exchange.depositCollateral(doomed.key.publicKey, a, doomed.token, 1_000), instruction],
      [doomed.key],
    );
    const opened = exchange.parseEvents(logs).find((e) => e.name === "positionOpened");
    assert.ok(opened, "PositionOpened event");
    const fee = (opened.data.insuranceFee as BN).toNumber();
    assert.equal(fee, charged ? num(quote.fee) : 0, "the trade pays the quoted fee when the pool accepts volume");
    assert.equal(num((await exchange.fetchPosition(a, doomed.key.publicKey)).collateral), 1_000 - fee);
    return { doomed, fee };
  };

  before(async () => {
    const sig = await connection.requestAirdrop(payer.publicKey, 100 * LAMPORTS_PER_SOL);
    await connection.confirmTransaction({ signature: sig, ...(await connection.getLatestBlockhash()) }, "confirmed");
    mint = await createMint(connection, payer, payer.publicKey, null, 6, undefined, undefined, TOKEN_PROGRAM_ID);
    freezableMint = await createMint(connection, payer, payer.publicKey, payer.publicKey, 6, undefined, undefined, TOKEN_PROGRAM_ID);
    a = exchangeKeys(1, mint, TOKEN_PROGRAM_ID);
    b = exchangeKeys(2, freezableMint, TOKEN_PROGRAM_ID);
    c = exchangeKeys(3, mint, TOKEN_PROGRAM_ID);
  });

  it("initialises the protocol only with the upgrade authority's signature, and creates three markets' pools", async () => {
    // A stranger cannot initialise (and so choose the authority) ahead of the deployer.
    const stranger = await funded();
    await refused(
      [await pool.initializeProtocol(payer.publicKey, stranger.publicKey, stranger.publicKey, stranger.publicKey)],
      [stranger],
      "NotUpgradeAuthority",
      [protocolAddress()],
    );
    const logs = await send([await pool.initializeProtocol(payer.publicKey, payer.publicKey, payer.publicKey, guardian.publicKey)]);
    assert.ok(pool.parseEvents(logs).some((e) => e.name === "protocolInitialized"));
    assert.ok((await pool.fetchProtocol()).guardian.equals(guardian.publicKey));
    for (const k of [a, b]) {
      await send([
        await exchange.createMarket(
          payer.publicKey,
          k,
          { maintenanceMarginBps: new BN(500), maxLeverage: new BN(10), maxPriceAge: new BN(3_600) },
          payer.publicKey,
        ),
        await pool.createPool(payer.publicKey, payer.publicKey, k.pool, params),
      ]);
    }
    // Market C: at full leverage the collateral is exactly the maintenance margin, so
    // the volume fee must come on top of it.
    await send([
      await exchange.createMarket(
        payer.publicKey,
        c,
        { maintenanceMarginBps: new BN(1_000), maxLeverage: new BN(10), maxPriceAge: new BN(3_600) },
        payer.publicKey,
      ),
      await pool.createPool(payer.publicKey, payer.publicKey, c.pool, params),
    ]);
    const fresh = await pool.fetchPool(a.pool);
    assert.ok(fresh.volumeLoss.isZero(), "no loss index yet");
    const today = dayOf(await now());
    assert.ok(fresh.volumeLossDay.lte(today) && fresh.volumeLossDay.gte(today.subn(1)), "the index's day: the pool's creation");
    assert.ok(fresh.volumeRateBps.eq(params.volume.baseRate), "the rate of an empty history is the base");
    const p = await pool.fetchPool(a.pool);
    assert.ok(p.market.equals(a.market) && p.mint.equals(mint));
    assert.equal(num(p.capital), 0);
    // The trust assumption on the mint's issuer, in the client's reads.
    assert.equal((await pool.fetchPoolView(a.pool)).mintHasFreezeAuthority, false);
    assert.equal((await pool.fetchPoolView(b.pool)).mintHasFreezeAuthority, true);

    // Draw rights go to a program's PDA only, and start after the activation delay.
    const wallet = Keypair.generate().publicKey;
    await refused(
      [
        await pool.registerExchange(payer.publicKey, payer.publicKey, a.pool, wallet, a.collateralVault, exchangeLimits({
          perEventCap: 600,
          perEpochCap: 1_000,
          epochLength: DAY,
        })),
      ],
      [],
      "ExchangeAuthorityNotPda",
      [a.pool.pool, exchangeRegistrationAddress(a.pool.pool, wallet)],
    );
    const registeredAt = await now();
    await send([
      await pool.registerExchange(payer.publicKey, payer.publicKey, a.pool, a.authority, a.collateralVault, exchangeLimits({
        perEventCap: 600,
        perEpochCap: 1_000,
        epochLength: DAY,
        perEventBps: 10_000,
        perEpochBps: 10_000,
      })),
      await pool.registerExchange(payer.publicKey, payer.publicKey, c.pool, c.authority, c.collateralVault, exchangeLimits({
        perEventCap: 600,
        perEpochCap: 1_000,
        epochLength: DAY,
      })),
    ]);
    const reg = await pool.fetchRegistration(a.pool, a.authority);
    assert.equal(num(reg.limits.perEventCap), 600);
    assert.equal(num(reg.limits.perEventBps), 10_000);
    const delay = num(activationDelay(params));
    assert.equal(delay, 62 * DAY);
    // On the exit clock, which is wall time while withdrawals were never paused.
    const activeFrom = num(reg.activeFrom);
    const clock = num(await pool.fetchExitClock(a.pool));
    assert.ok(clock <= (await now()) && clock >= registeredAt, `exit clock ${clock}`);
    assert.ok(activeFrom >= registeredAt + delay && activeFrom <= clock + delay, `active from ${activeFrom}`);
  });

  it("takes deposits and mints shares", async () => {
    alice = await party(10_000);
    bob = await party(5_000);
    for (const [u, amount] of [[alice, 10_000], [bob, 5_000]] as const) {
      const logs = await send([await pool.deposit(u.key.publicKey, a.pool, u.token, amount)], [u.key]);
      const ev = pool.parseEvents(logs).find((e) => e.name === "deposited");
      assert.equal((ev?.data.amount as BN).toNumber(), amount);
      // u128 shares: 10^6 per base unit in an empty pool (the virtual offset).
      const shares = ev?.data.shares as BN;
      assert.ok(BN.isBN(shares) && shares.eq(new BN(amount).mul(new BN(1_000_000))), `minted ${shares}`);
    }
    const p = await pool.fetchPool(a.pool);
    assert.equal(num(p.capital), 15_000);
    assert.ok(p.totalShares.eq(new BN("15000000000")));
    assert.ok((await pool.fetchUnderwriter(a.pool, alice.key.publicKey)).shares.eq(new BN("10000000000")));
    assert.equal(await balance(a.pool.vault), 15_000n);
    await assertConserved();
    bSnapshot = (await Promise.all(bWatched().map((k) => connection.getAccountInfo(k)))).map((x) => x?.data);
  });

  it("quotes with the member's account, buys exactly the quote, and holds the premium as unearned", async () => {
    trader = await party(5_000);
    // A bound the cover cannot meet is refused, nothing moved.
    const first = await pool.quoteFor(a.pool, 20_000, trader.key.publicKey);
    await refused(
      [
        await pool.contributePremium(
          trader.key.publicKey,
          a.pool,
          trader.token,
          20_000,
          first.premium,
          first.coverageExpiry.addn(10 * DAY),
        ),
      ],
      [trader.key],
      "CoverageEndsTooSoon",
      [a.pool.pool, a.pool.vault, trader.token, memberAddress(a.pool.pool, trader.key.publicKey)],
    );
    // The documented flow: quote (with the member's account), then buy bounded by it.
    const before = await balance(trader.token);
    const { quote, instruction } = await pool.buyCover(trader.key.publicKey, a.pool, trader.token, 20_000);
    assert.ok(num(quote.premium) > 0 && num(quote.rateBps) >= 50);
    const logs = await send([instruction], [trader.key]);
    assert.equal(before - (await balance(trader.token)), BigInt(quote.premium.toString()));
    assert.ok(pool.parseEvents(logs).some((e) => e.name === "premiumContributed"), "PremiumContributed event");
    const p = await pool.fetchPool(a.pool);
    assert.equal(num(p.capital), 15_000, "a premium is not capital when paid");
    assert.equal(num(p.unearnedPremiums), num(quote.premium));
    await assertConserved();
    const member = await pool.fetchMember(a.pool, trader.key.publicKey);
    assert.equal(num(member.coveredAmount), 20_000);
    assert.ok(member.coverageExpiry.gte(quote.coverageExpiry));
    // Quoted with the member's account, a top-up keeps the cover's expiry.
    const topUp = await pool.quoteFor(a.pool, 1_000, trader.key.publicKey);
    assert.ok(topUp.coverageExpiry.eq(member.coverageExpiry), "a top-up is priced to the cover's real expiry");
    await assertBUntouched();
  });

  it("reports a liquidation shortfall before the registration is active: nothing drawn", async () => {
    // Trading does not stop while the insurance is not yet active: no volume fee either.
    assert.equal(await pool.fetchAcceptsVolume(a.pool, a.authority), false);
    const { doomed, fee } = await doomedPosition();
    assert.equal(fee, 0);
    assert.equal(num((await exchange.fetchMarket(a)).insuranceFees), 0);
    const vault = await balance(a.pool.vault);
    const collateral = await balance(a.collateralVault);
    const logs = await send([await publish(800), await exchange.liquidate(payer.publicKey, a, doomed.key.publicKey)]);
    const ev = pool.parseEvents(logs).find((e) => e.name === "shortfallCovered");
    assert.ok(ev, "ShortfallCovered event from the CPI");
    assert.equal((ev.data.amount as BN).toNumber(), 1_000);
    assert.equal((ev.data.covered as BN).toNumber(), 0);
    assert.equal((ev.data.uncovered as BN).toNumber(), 1_000);
    assert.deepEqual(Object.keys(ev.data.limitedBy as object), ["suspended"]);
    assert.equal(await balance(a.pool.vault), vault);
    assert.equal(await balance(a.collateralVault), collateral);
    assert.equal(num((await exchange.fetchMarket(a)).socializedLoss), 1_000);
    const reg = await pool.fetchRegistration(a.pool, a.authority);
    assert.equal(num(reg.nextNonce), 1, "the report is recorded");
    // A registration that cannot draw yet does not move the volume rate's loss index (its
    // reports are free to fake): the rate stays the base rate.
    const p = await pool.fetchPool(a.pool);
    assert.ok(p.volumeLoss.isZero(), `loss index ${p.volumeLoss}`);
    const q = await pool.volumeQuote(a.pool, 10_000);
    assert.ok(q.lossIndex.isZero() && q.rateBps.eq(params.volume.baseRate), `rate ${q.rateBps}, loss index ${q.lossIndex}`);
    await assertConserved();
    await assertBUntouched();
  });

  it("refuses attacks by name and changes nothing", async () => {
    mallory = await party(2_000);
    // A stranger cannot change a pool's parameters.
    await refused(
      [await pool.updatePoolParams(mallory.key.publicKey, a.pool, { ...params, minReserve: new BN(0) })],
      [mallory.key],
      "Unauthorized",
      [a.pool.pool],
    );
    // Nor draw on the pool as if it were a registered exchange.
    const fake = exchangeRegistrationAddress(a.pool.pool, mallory.key.publicKey);
    await refused(
      [await pool.coverShortfall(mallory.key.publicKey, a.pool, fake, mallory.token, 500, 0)],
      [mallory.key],
      // No registration: the zero-copy loader refuses the empty account by its owner.
      "AccountOwnedByWrongProgram",
      [a.pool.pool, a.pool.vault, mallory.token],
    );
    // A u128 minimum beyond any mint is refused as slippage.
    await refused(
      [await pool.deposit(mallory.key.publicKey, a.pool, mallory.token, 100, 1n << 100n)],
      [mallory.key],
      "SlippageExceeded",
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
    // Nor publish the exchange's price (a caller-chosen price would manufacture bad
    // debt): refused by the exchange, and named as the exchange's error although the
    // pool numbers a different error the same.
    await refused(
      [await exchange.setPrice(mallory.key.publicKey, a, 1, await now())],
      [mallory.key],
      "WrongOracleAuthority",
      [a.priceFeed, a.market],
      "exampleExchange",
    );
    assert.equal(await balance(mallory.token), 2_000n);
    // Capital is locked for a coverage term after its deposit.
    const shares = (await pool.fetchUnderwriter(a.pool, alice.key.publicKey)).shares;
    await refused(
      [await pool.requestWithdrawal(alice.key.publicKey, a.pool, shares)],
      [alice.key],
      "DepositLocked",
      [a.pool.pool, a.pool.vault],
    );
    // Cover bought now cannot be claimed before its waiting period (1 day).
    const { instruction } = await pool.buyCover(mallory.key.publicKey, a.pool, mallory.token, 1_000);
    await send([instruction], [mallory.key]);
    const next = await pool.nextClaim(a.pool, mallory.key.publicKey);
    await refused(
      [await pool.fileClaim(mallory.key.publicKey, a.pool, next.id, mallory.token, 500, new Uint8Array(32), "ipfs://too-soon")],
      [mallory.key],
      "ClaimAboveCoverage",
      [a.pool.pool, a.pool.vault, mallory.token, next.claim],
    );
    await assertConserved();
    await assertBUntouched();
  });

  it("files a claim on matured cover and counts the votes of seasoned shares", async () => {
    // Alice's and Bob's shares vote from the time the client tells (the program's
    // stake-age rule: the start of the second stake period after their deposits').
    const from = Math.max(
      ...(await Promise.all(
        [alice, bob].map(async (v) => num(votesFrom(await pool.fetchUnderwriter(a.pool, v.key.publicKey), params.governance.minStakeAge)!)),
      )),
    );
    if ((await now()) < from) await warpTo(from);
    traderClaim = await pool.nextClaim(a.pool, trader.key.publicKey);
    assert.equal(num(traderClaim.id), 0);
    tokensBeforeClaim = await balance(trader.token);
    await send(
      [await pool.fileClaim(trader.key.publicKey, a.pool, traderClaim.id, trader.token, 500, new Uint8Array(32).fill(7), "ipfs://evidence")],
      [trader.key],
    );
    const bond = tokensBeforeClaim - (await balance(trader.token));
    assert.equal(bond, 50n, "bond = max(bond_min, 1 % of 500)");
    const filed = await pool.fetchClaim(a.pool, trader.key.publicKey, traderClaim.id);
    seasoned = (await pool.fetchPool(a.pool)).totalShares;
    assert.ok(filed.eligibleWeight.eq(seasoned), "every share is seasoned");
    for (const voter of [alice, bob]) {
      const logs = await send([await pool.castVote(voter.key.publicKey, a.pool, traderClaim.claim, true)], [voter.key]);
      const ev = pool.parseEvents(logs).find((e) => e.name === "voteCast");
      assert.ok(ev && (ev.data.weight as BN).toNumber() > 0);
    }
    await refused([await pool.finalizeClaim(a.pool, traderClaim.claim, trader.key.publicKey)], [], "VotingNotOver", [traderClaim.claim]);
  });

  it("refuses the vote-capture attack: stake bought just before filing one's own claim does not vote", async () => {
    // Mallory (cover matured by now) and a sock puppet deposit just before she files.
    const puppet = await party(5_000);
    await send([await pool.deposit(puppet.key.publicKey, a.pool, puppet.token, 4_000)], [puppet.key]);
    await send([await pool.deposit(mallory.key.publicKey, a.pool, mallory.token, 500)], [mallory.key]);
    await warp(60);
    const { id, claim } = await pool.nextClaim(a.pool, mallory.key.publicKey);
    await send(
      [await pool.fileClaim(mallory.key.publicKey, a.pool, id, mallory.token, 1_000, new Uint8Array(32).fill(9), "ipfs://capture")],
      [mallory.key],
    );
    const filed = await pool.fetchClaim(a.pool, mallory.key.publicKey, id);
    assert.ok(filed.eligibleWeight.eq(seasoned), "the new stake is not eligible weight");
    const watched = [claim, a.pool.pool];
    // The claimant cannot vote on its own claim.
    await refused([await pool.castVote(mallory.key.publicKey, a.pool, claim, true)], [mallory.key], "ClaimantCannotVote", watched);
    // Shares staked before the filing, but young (not yet two stake periods old), weigh nothing.
    await refused([await pool.castVote(puppet.key.publicKey, a.pool, claim, true)], [puppet.key], "NoVotingWeight", watched);
    // Stake added after the filing makes the position unable to vote at all.
    await send([await pool.deposit(puppet.key.publicKey, a.pool, puppet.token, 1_000)], [puppet.key]);
    await refused([await pool.castVote(puppet.key.publicKey, a.pool, claim, true)], [puppet.key], "VoteWeightTooNew", watched);
    const after = await pool.fetchClaim(a.pool, mallory.key.publicKey, id);
    assert.equal(num(after.yesWeight), 0);
    assert.equal(num(after.voters), 0);
    // With no votes and within its cancel window, she withdraws it. Exits still wait for
    // it until its voting period ends and it is released (a cancel is free: it must not
    // let its claimant choose when exits open).
    await send([await pool.cancelClaim(mallory.key.publicKey, a.pool, claim)], [mallory.key]);
    const cancelled = await pool.fetchClaim(a.pool, mallory.key.publicKey, id);
    assert.deepEqual(Object.keys(cancelled.status), ["cancelled"]);
    assert.equal(cancelled.held, 1);
    assert.equal(num((await pool.fetchPool(a.pool)).votingClaims), 500 + 1_000, "the trader's claim votes; mallory's is held");
    malloryClaim = claim;
    await assertConserved();
    await assertBUntouched();
  });

  it("finalises the claim after the voting period, pays it after the hold-up and then returns the bond", async () => {
    await warp(num(params.governance.votingPeriod) + 60);
    await send([await pool.finalizeClaim(a.pool, traderClaim.claim, trader.key.publicKey)]);
    // Mallory's cancelled claim, its period over, is released by the same instruction.
    const released = await send([await pool.finalizeClaim(a.pool, malloryClaim!, mallory.key.publicKey)]);
    assert.ok(pool.parseEvents(released).some((e) => e.name === "claimReleased"), "ClaimReleased event");
    assert.equal(num((await pool.fetchPool(a.pool)).votingClaims), 0);
    const approved = await pool.fetchClaim(a.pool, trader.key.publicKey, traderClaim.id);
    assert.deepEqual(Object.keys(approved.status), ["approved"]);
    assert.ok(approved.yesWeight.eq(seasoned) && approved.noWeight.isZero());
    // No deposits during the hold-up (a veto would hand the reservation to new shares).
    const view = await pool.fetchPoolView(a.pool);
    assert.ok(view.depositsClosedUntil.eq(approved.holdupEndsAt));
    await refused(
      [await pool.deposit(mallory.key.publicKey, a.pool, mallory.token, 100)],
      [mallory.key],
      "HoldupDepositsClosed",
      [a.pool.pool, a.pool.vault, mallory.token],
    );
    // Payouts and bond returns go only to the claimant's associated token account.
    assert.ok(claimantTokenAddress(a.pool, trader.key.publicKey).equals(trader.token));
    const other = await createAccount(connection, payer, mint, trader.key.publicKey, Keypair.generate());
    await refused(
      [await pool.payClaim(a.pool, traderClaim.claim, trader.key.publicKey, other)],
      [],
      "NotAssociatedTokenAccount",
      [a.pool.pool, a.pool.vault, traderClaim.claim, other],
    );
    await refused(
      [await pool.withdrawBond(a.pool, traderClaim.claim, other)],
      [],
      "NotAssociatedTokenAccount",
      [traderClaim.claim, a.pool.bondVault, other],
    );
    // The bond stays until the claim is paid.
    await refused([await pool.withdrawBond(a.pool, traderClaim.claim, trader.token)], [], "ClaimStillOpen", [traderClaim.claim, trader.token]);
    await warp(num(params.governance.holdupPeriod) + 60);
    const vault = await balance(a.pool.vault);
    const logs = await send([await pool.payClaim(a.pool, traderClaim.claim, trader.key.publicKey)]);
    const paid = pool.parseEvents(logs).find((e) => e.name === "claimPaid");
    assert.equal((paid?.data.paid as BN).toNumber(), 500);
    assert.equal(vault - (await balance(a.pool.vault)), 500n);
    await assertConserved();
    await send([await pool.withdrawBond(a.pool, traderClaim.claim, trader.token)]);
    assert.equal((await balance(trader.token)) - tokensBeforeClaim, 500n, "paid 500, bond returned");
    await assertBUntouched();
  });

  it("withdraws only after the deposit lock and the cooldown, at the shares' value then", async () => {
    const u = await pool.fetchUnderwriter(a.pool, alice.key.publicKey);
    await warpTo(num(u.lastDepositAt) + num(params.minDepositLock) + 60);
    await send([await pool.requestWithdrawal(alice.key.publicKey, a.pool, u.shares)], [alice.key]);
    const requested = await pool.fetchUnderwriter(a.pool, alice.key.publicKey);
    await refused(
      [await pool.completeWithdrawal(alice.key.publicKey, a.pool, alice.token)],
      [alice.key],
      "CooldownNotElapsed",
      [a.pool.pool, a.pool.vault, alice.token],
    );
    await warp(num(params.withdrawalCooldown) + 60);
    const before = await balance(alice.token);
    const logs = await send([await pool.completeWithdrawal(alice.key.publicKey, a.pool, alice.token)], [alice.key]);
    const got = (await balance(alice.token)) - before;
    const ev = pool.parseEvents(logs).find((e) => e.name === "withdrawalCompleted");
    assert.ok(ev, "WithdrawalCompleted event");
    const atRequest = ev.data.valueAtRequest as BN;
    assert.ok(atRequest.eq(requested.pendingValue));
    // Every pending share is burned.
    assert.ok((ev.data.shares as BN).eq(u.shares));
    const left = await pool.fetchUnderwriter(a.pool, alice.key.publicKey);
    assert.ok(left.shares.isZero() && left.pendingShares.isZero());
    // Pending shares are full holders until they leave: the value at completion.
    const expected = ev.data.valueAtCompletion as BN;
    assert.ok((ev.data.paid as BN).eq(expected));
    assert.equal(got, BigInt(expected.toString()), `withdrew ${got}, value now ${expected}`);
    assert.ok(got > 10_000n, "alice's share of earned premiums, net of the paid claim");
    await assertConserved();
    await assertBUntouched();
  });

  it("charges the pool's volume fee on open_position once the registration is active, bounded by the quoted rate", async () => {
    const reg = await pool.fetchRegistration(a.pool, a.authority);
    const regC = await pool.fetchRegistration(c.pool, c.authority);
    // Activation is on each pool's exit clock (A's stood still while its claims voted).
    await warpExitClockTo(pool, a.pool, num(reg.activeFrom) + 60);
    await warpExitClockTo(pool, c.pool, num(regC.activeFrom) + 60);
    assert.ok(await pool.fetchAcceptsVolume(a.pool, a.authority), "the pool accepts the exchange's volume once active");
    const volumeTrader = await party(2_000);
    const owner = volumeTrader.key.publicKey;
    await send([await publish(1_000), await exchange.depositCollateral(owner, a, volumeTrader.token, 2_000)], [volumeTrader.key]);

    // Quote first (quote_volume, simulated: moves nothing), on the notional at the oracle price.
    const { quote, notional, charged, instruction } = await exchange.openPositionQuoted(owner, a, 15);
    assert.ok(charged);
    assert.equal(num(notional), 15_000);
    const fee = quote.fee as BN;
    assert.ok(fee.eq(volumeFee(notional, quote.rateBps)), "fee = ceil(volume · rate / 10 000)");
    assert.ok(fee.gtn(0));
    assert.equal(num(quote.protocolFee), 0, "no protocol fee is set");
    // The rate is a function of the pool's state at the trade: the loss index (decayed to
    // now) and free capital. The shortfall reported before activation did not count, so
    // with no loss the rate is the base rate.
    const poolNow = await pool.fetchPool(a.pool);
    assert.ok(quote.lossIndex.eq(volumeLossAt(poolNow, await now())) && quote.lossIndex.isZero(), `loss index ${quote.lossIndex}`);
    assert.ok(quote.freeCapital.gte(poolNow.capital.sub(poolNow.reservedForClaims)), "free capital of the earned pool");
    assert.ok(quote.rateBps.eq(volumeRate(params.volume, quote.lossIndex, quote.freeCapital)));
    assert.ok(quote.rateBps.eq(params.volume.baseRate), `rate ${quote.rateBps}`);

    const registration = exchangeRegistrationAddress(a.pool.pool, a.authority);
    const position = positionAddress(a.market, owner);
    // A bound below the current rate is refused by the pool (through the exchange's CPI), nothing moved.
    await refused(
      [await exchange.openPosition(owner, a, 15, quote.rateBps.subn(1))],
      [volumeTrader.key],
      "VolumeRateAboveMaximum",
      [a.pool.pool, a.pool.vault, a.pool.exposure, registration, a.market, position, a.collateralVault],
    );

    // At the quoted rate: the fee lands in the pool, debited from the trader's collateral.
    const [vaultBefore, collateralBefore, poolBefore, regBefore, marketBefore] = await Promise.all([
      balance(a.pool.vault),
      balance(a.collateralVault),
      pool.fetchPool(a.pool),
      pool.fetchRegistration(a.pool, a.authority),
      exchange.fetchMarket(a),
    ]);
    const logs = await send([instruction], [volumeTrader.key]);
    assert.equal((await balance(a.pool.vault)) - vaultBefore, BigInt(fee.toString()), "the vault grew by exactly the quoted fee");
    assert.equal(collateralBefore - (await balance(a.collateralVault)), BigInt(fee.toString()));
    const p = await pool.fetchPool(a.pool);
    assert.ok(p.totalVolumeFees.sub(poolBefore.totalVolumeFees).eq(fee), "totalVolumeFees");
    assert.ok(p.totalVolume.sub(poolBefore.totalVolume).eq(notional), "totalVolume");
    assert.ok(p.volumeRateBps.eq(quote.rateBps), "the last charged rate is recorded");
    assert.ok(p.volumeLoss.eq(poolBefore.volumeLoss) && p.volumeLossDay.eq(poolBefore.volumeLossDay), "a trade does not move the loss index");
    // The fee (net of the protocol's part) is unearned premium, earned into capital over
    // 7 days; whatever older premium was earned on the way moved from unearned to capital.
    const earned = p.capital.sub(poolBefore.capital);
    assert.ok(!earned.isNeg());
    assert.ok(
      p.unearnedPremiums.sub(poolBefore.unearnedPremiums).add(earned).eq(fee.sub(quote.protocolFee)),
      `unearned ${poolBefore.unearnedPremiums} -> ${p.unearnedPremiums}, earned ${earned}, fee ${fee}`,
    );
    const r = await pool.fetchRegistration(a.pool, a.authority);
    assert.ok(r.totalVolumeFees.sub(regBefore.totalVolumeFees).eq(fee) && r.totalVolume.sub(regBefore.totalVolume).eq(notional));
    const contributed = pool.parseEvents(logs).find((e) => e.name === "volumeContributed");
    assert.ok(contributed, "VolumeContributed event from the CPI");
    assert.ok((contributed.data.fee as BN).eq(fee) && (contributed.data.volume as BN).eq(notional));
    assert.ok((contributed.data.rateBps as BN).eq(quote.rateBps));
    // The event carries the rate's inputs at the contribution (free capital before the fee,
    // which is unearned).
    assert.ok((contributed.data.lossIndex as BN).isZero());
    assert.ok((contributed.data.freeCapital as BN).eq(p.capital.sub(p.reservedForClaims)), "free capital at the contribution");
    assert.ok((contributed.data.poolCapital as BN).eq(p.capital));
    assert.deepEqual(
      Object.keys(contributed.data).sort(),
      ["pool", "registration", "volume", "rateBps", "fee", "protocolFee", "lossIndex", "freeCapital", "poolCapital"].sort(),
    );
    const opened = exchange.parseEvents(logs).find((e) => e.name === "positionOpened");
    assert.ok(opened && (opened.data.insuranceFee as BN).eq(fee), "PositionOpened carries the fee");
    // The trader's collateral fell by the fee; the market's books follow.
    const pos = await exchange.fetchPosition(a, owner);
    assert.equal(num(pos.collateral), 2_000 - num(fee));
    assert.equal(num(pos.size), 15);
    const m = await exchange.fetchMarket(a);
    assert.ok(marketBefore.totalCollateral.sub(m.totalCollateral).eq(fee));
    assert.ok(m.insuranceFees.sub(marketBefore.insuranceFees).eq(fee));
    assert.ok(m.volume.sub(marketBefore.volume).eq(notional));
    assert.equal(await balance(a.collateralVault), BigInt(m.totalCollateral.add(m.houseBalance).toString()), "the exchange's vault holds what it owes");
    await assertConserved();
    await assertBUntouched();
  });

  it("refuses a position whose volume fee would eat the maintenance margin (InsufficientCollateral)", async () => {
    assert.ok(await pool.fetchAcceptsVolume(c.pool, c.authority));
    const t = await party(1_002);
    const owner = t.key.publicKey;
    await send([await exchange.setPrice(payer.publicKey, c, 1_000, await now())]);
    await send([await exchange.depositCollateral(owner, c, t.token, 1_000)], [t.key]);
    // 10 at 1 000 on 1 000: within the leverage limit before the fee, but the fee (the
    // base rate: the pool has neither capital nor losses) leaves less than maintenance.
    const { quote, charged, minCollateral, instruction } = await exchange.openPositionQuoted(owner, c, 10);
    assert.ok(charged && quote.rateBps.eq(params.volume.baseRate) && quote.freeCapital.isZero());
    const fee = num(quote.fee);
    assert.equal(fee, 2);
    const market = await exchange.fetchMarket(c);
    assert.ok(minCollateral.eq(requiredCollateral(market, 10_000, fee)));
    assert.equal(num(minCollateral), 1_000 + fee, "maintenance (1 000) plus the fee");
    const position = positionAddress(c.market, owner);
    await refused(
      [instruction],
      [t.key],
      "InsufficientCollateral",
      [c.pool.pool, c.pool.vault, c.pool.exposure, c.market, position, c.collateralVault],
      "exampleExchange",
    );
    // With the fee on top, it opens with exactly the maintenance margin left.
    await send([await exchange.depositCollateral(owner, c, t.token, 2), instruction], [t.key]);
    const pos = await exchange.fetchPosition(c, owner);
    assert.equal(num(pos.collateral), 1_000);
    assert.equal(num(pos.size), 10);
    assert.equal(await balance(c.pool.vault), BigInt(fee));
    await assertBUntouched();
  });

  it("covers a liquidation shortfall through the exchange's CPI once active, up to the per-event cap", async () => {
    const reg = await pool.fetchRegistration(a.pool, a.authority);
    await warpExitClockTo(pool, a.pool, num(reg.activeFrom) + 60);
    // The position pays the volume fee now: its shortfall at 800 is 1 000 plus the fee.
    const { doomed, fee } = await doomedPosition();
    assert.ok(fee > 0, "a trade pays the volume fee once the registration is active");
    const vault = await balance(a.pool.vault);
    const collateral = await balance(a.collateralVault);
    const logs = await send([await publish(800), await exchange.liquidate(payer.publicKey, a, doomed.key.publicKey)]);
    const ev = pool.parseEvents(logs).find((e) => e.name === "shortfallCovered");
    assert.ok(ev, "ShortfallCovered event from the CPI");
    assert.equal((ev.data.amount as BN).toNumber(), 1_000 + fee);
    assert.equal((ev.data.covered as BN).toNumber(), 600);
    assert.equal((ev.data.uncovered as BN).toNumber(), 400 + fee);
    assert.deepEqual(Object.keys(ev.data.limitedBy as object), ["perEvent"]);
    assert.equal(vault - (await balance(a.pool.vault)), 600n);
    assert.equal((await balance(a.collateralVault)) - collateral, 600n);
    assert.equal(num((await pool.fetchPool(a.pool)).capital), (ev.data.poolCapital as BN).toNumber());
    assert.equal(num((await exchange.fetchMarket(a)).socializedLoss), 1_000 + 400 + fee);
    // The loss index rises at once, by the shortfall capped at the per-event limit.
    const p = await pool.fetchPool(a.pool);
    assert.equal(num(p.volumeLoss), 600, "min(1 000 + fee, per-event limit 600)");
    assert.ok(p.volumeLossDay.eq(dayOf(await now())));
    const q = await pool.volumeQuote(a.pool, 10_000);
    assert.equal(num(q.lossIndex), 600);
    assert.ok(q.rateBps.eq(volumeRate(params.volume, 600, q.freeCapital)));
    assert.ok(q.rateBps.gt(params.volume.baseRate), `rate ${q.rateBps} above the base rate after a loss`);
    await assertConserved();
    await assertBUntouched();
  });

  it("lets the loss index decay by the day: the rate falls with no stored rate to unwind", async () => {
    const before = await pool.volumeQuote(a.pool, 10_000);
    const lossDay = num((await pool.fetchPool(a.pool)).volumeLossDay);
    // An hour into the next day (whole days count: the loss is one day old all along).
    await warpTo((lossDay + 1) * DAY + 3_600);
    const p = await pool.fetchPool(a.pool);
    assert.equal(num(dayOf(await now())) - num(p.volumeLossDay), 1);
    const q = await pool.volumeQuote(a.pool, 10_000);
    // A day later: 600 · 0.95, rounded down.
    assert.equal(num(q.lossIndex), 570);
    assert.ok(q.lossIndex.eq(decayedLoss(600, params.volume.lossDecayPerDay, 1)) && q.lossIndex.eq(volumeLossAt(p, await now())));
    assert.ok(q.rateBps.eq(volumeRate(params.volume, q.lossIndex, q.freeCapital)));
    assert.ok(q.rateBps.lte(before.rateBps) && q.rateBps.gt(params.volume.baseRate), `rate ${before.rateBps} -> ${q.rateBps}`);
    // A trade pays the rate of the pool's state at the trade; the event carries its inputs.
    const t = await party(2_000);
    const owner = t.key.publicKey;
    await send([await publish(1_000), await exchange.depositCollateral(owner, a, t.token, 2_000)], [t.key]);
    const { quote, instruction } = await exchange.openPositionQuoted(owner, a, 10, { rateToleranceBps: 1 });
    const logs = await send([instruction], [t.key]);
    const ev = pool.parseEvents(logs).find((e) => e.name === "volumeContributed");
    assert.ok(ev, "VolumeContributed event");
    const d = ev.data as Record<string, BN>;
    assert.equal(num(d.lossIndex), 570);
    assert.ok(d.rateBps.eq(volumeRate(params.volume, d.lossIndex, d.freeCapital)), `rate ${d.rateBps} from its inputs`);
    assert.ok(d.rateBps.lte((quote as VolumeQuote).rateBps), "earning only adds free capital: never above the quote");
    assert.ok(d.fee.eq(volumeFee(10_000, d.rateBps)));
    const after = await pool.fetchPool(a.pool);
    assert.ok(after.volumeRateBps.eq(d.rateBps));
    assert.equal(num(after.volumeLoss), 600, "the stored index is not rewritten by a trade");
    await assertConserved();
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
      const json = JSON.parse(read.stdout);
      assert.equal(json.capital, before.capital.toNumber());
      assert.equal(json.mint_has_freeze_authority, false);
      // The list is filtered by the node (memcmp on the Pool discriminator): every
      // row is a pool, this one among them.
      const list = run("--json", "pools");
      assert.equal(list.status, 0, list.stderr);
      const rows = JSON.parse(list.stdout) as { market: string; decimals: number }[];
      assert.ok(rows.some((r) => r.market === market && r.decimals === 6));
      // Write: a deposit of 0.0001 tokens (100 base units at 6 decimals) signed by the
      // CLI lands on the same node, as a v0 transaction with a priority fee, the URL
      // and keypair coming from a Solana CLI config file (the pool releases earned
      // premium into capital on the way: capital + unearned grows by exactly 100).
      const config = join(dir, "config.yml");
      writeFileSync(config, `---\njson_rpc_url: "${url}"\nkeypair_path: ${keyfile}\ncommitment: confirmed\n`);
      const dep = spawnSync(cli, ["-C", config, "--with-compute-unit-price", "1000", "deposit", market, "0.0001"], {
        encoding: "utf8",
      });
      assert.equal(dep.status, 0, dep.stderr);
      const signature = /signature: (\w+)/.exec(dep.stdout)?.[1];
      assert.ok(signature, dep.stdout);
      const tx = await connection.getTransaction(signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
      assert.equal(tx?.version, 0);
      const after = await pool.fetchPool(a.pool);
      assert.equal(
        after.capital.add(after.unearnedPremiums).toNumber(),
        before.capital.add(before.unearnedPremiums).toNumber() + 100,
      );
      // An amount finer than the mint's decimals is refused before anything is sent.
      const fine = run("deposit", market, "0.0000001");
      assert.notEqual(fine.status, 0);
      assert.match(fine.stderr, /more than the mint's 6 decimals/);
      // An authority action as a proposal: printed, not sent.
      const proposal = run("--output", "proposal", "--signer", alice.key.publicKey.toBase58(), "pause", "1", "--market", market);
      assert.equal(proposal.status, 0, proposal.stderr);
      const [ix] = JSON.parse(proposal.stdout) as { program_id: string; data_base64: string }[];
      assert.equal(ix.program_id, pool.programId.toBase58());
      assert.equal((await pool.fetchPool(a.pool)).paused, after.paused, "nothing was sent");
      // A refused write prints the decoded error, not a hex code.
      const bad = run("deposit", market, "0");
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /ZeroAmount|zero/i);
      // The actuary models a named exchange's caps: with registrations, it refuses
      // without --exchange (and lists them).
      const unnamed = run("actuary", "--market", market, "--out", join(dir, "report"));
      assert.notEqual(unnamed.status, 0);
      assert.match(unnamed.stderr, /--exchange/);
      // It reads the pool and its losses from the chain: the two shortfalls (1 000, and
      // 1 000 plus the volume fee) and the paid claim (500) - too few to fit, and it says
      // how many it found.
      const act = run("actuary", "--market", market, "--exchange", a.authority.toBase58(), "--out", join(dir, "report"));
      assert.notEqual(act.status, 0);
      assert.match(act.stderr, /3 losses: at least 20 are needed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
