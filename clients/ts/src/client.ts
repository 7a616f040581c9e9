/**
 * The insurance pool client: one instruction builder per instruction (same accounts
 * as the Rust SDK's `ix::*`), account fetching, quotes and event parsing, on
 * `@anchor-lang/core` with the committed IDL.
 */
import { AnchorProvider, BN, EventParser, Program, type IdlAccounts, type IdlEvents, type IdlTypes } from "@anchor-lang/core";
import { createAssociatedTokenAccountIdempotentInstruction } from "@solana/spl-token";
import { PublicKey, SystemProgram, SYSVAR_CLOCK_PUBKEY, type TransactionInstruction } from "@solana/web3.js";

import { type ExampleExchange, EXAMPLE_EXCHANGE_IDL } from "./idl/example_exchange.js";
import { type InsurancePool, INSURANCE_POOL_IDL } from "./idl/insurance_pool.js";
import { type Amount, toBigInt, toI64, toU128, toU64 } from "./amount.js";
import { BPS, INSURANCE_POOL_PROGRAM_ID, PAUSE, VIRTUAL_ASSETS, VIRTUAL_SHARES } from "./constants.js";
import {
  claimAddress,
  claimantTokenAddress,
  exchangeRegistrationAddress,
  memberAddress,
  positionAddress,
  poolKeys,
  programDataAddress,
  protocolAddress,
  treasuryTokenAddress,
  underwriterAddress,
  voteAddress,
  type ExchangeKeys,
  type PoolKeys,
} from "./pda.js";

type Types = IdlTypes<InsurancePool>;
/** Governance-set pool parameters (`update_pool_params` units: bps, seconds, base units). */
export type PoolParams = Types["poolParams"];
export type Curve = Types["curve"];
export type GovernanceParams = Types["governanceParams"];
export type ExchangeLimits = Types["exchangeLimits"];
export type UpdateProtocolArgs = Types["updateProtocolArgs"];
export type PremiumQuote = Types["premiumQuote"];
/** Shape of a pool's volume rate (`params.volume`, bps of traded volume). */
export type VolumeCurve = Types["volumeCurve"];
/**
 * `quote_volume`'s return data: the fee `contribute_volume` charges now, its protocol
 * part, the rate and its inputs (the loss index decayed to now, free capital).
 */
export type VolumeQuote = Types["volumeQuote"];
export type MarketParams = IdlTypes<ExampleExchange>["marketParams"];
export type PoolAccount = IdlAccounts<InsurancePool>["pool"];
export type MemberAccount = IdlAccounts<InsurancePool>["member"];
export type ClaimAccount = IdlAccounts<InsurancePool>["claim"];
export type UnderwriterAccount = IdlAccounts<InsurancePool>["underwriter"];
export type ProtocolAccount = IdlAccounts<InsurancePool>["protocol"];
export type ExchangeRegistrationAccount = IdlAccounts<InsurancePool>["exchangeRegistration"];
/** A pool's exposure book and earning book (unearned premium by the day it is earned). */
export type PoolExposureAccount = IdlAccounts<InsurancePool>["poolExposure"];
/** Withdrawal-pause time of a pool or of the protocol (stops the pool's exit clock). */
export type PauseClock = Types["pauseClock"];
export type InsuranceEvents = IdlEvents<InsurancePool>;
export type { Amount };

/** A pool with the values its instructions derive from it (base units). */
export interface PoolView {
  account: PoolAccount;
  /**
   * Capital not reserved for approved claims: what deposits are priced on, and what a
   * withdrawal request is valued on (claims still voting are not subtracted).
   */
  freeCapital: BN;
  /**
   * Free capital net of the claims still voting: what a completed withdrawal pays on
   * (the leaver's part of the voting claims stays pending).
   */
  exitCapital: BN;
  /** Premiums paid but not yet earned (in the vault, not capital). */
  unearnedPremiums: BN;
  /** What the vault holds by conservation: `capital + unearnedPremiums`. */
  expectedVault: BN;
  /**
   * A trust assumption: the mint's issuer can freeze the pool's vault (and so every
   * exit and payout). Shown to users before they deposit or buy cover.
   */
  mintHasFreezeAuthority: boolean;
  /** Deposits are refused (`HoldupDepositsClosed`) before this unix time: an approved claim's hold-up. */
  depositsClosedUntil: BN;
}

const BN0 = new BN(0);

/**
 * The value of `shares` on `capital` when `totalShares` exist (`math::value_of_shares`,
 * exactly): with the virtual offset, rounded down, never more than `capital`. On the
 * pool's exit capital it is what the program calls the shares' value.
 */
export function valueOfShares(shares: Amount, capital: Amount, totalShares: Amount): BN {
  const supply = toBigInt(toU128(totalShares, "totalShares")) + BigInt(VIRTUAL_SHARES);
  const c = toBigInt(toU64(capital, "capital"));
  const assets = c === (1n << 64n) - 1n ? c : c + BigInt(VIRTUAL_ASSETS);
  const s = toBigInt(toU128(shares, "shares"));
  const value = (assets * (s < supply ? s : supply)) / supply;
  return new BN((value < c ? value : c).toString());
}

/**
 * Cover still active at unix time `now` in a pool's exposure book
 * (`ExposureBook::active_at`): the total less the buckets of the days that have ended
 * since the book's day (the program rolls them out on its next write).
 */
export function activeExposure(book: { total: BN; day: BN; buckets: BN[] }, now: Amount): BN {
  const today = toBigInt(dayOf(now));
  const first = toBigInt(book.day);
  const n = BigInt(book.buckets.length);
  const passed = today - first < 0n ? 0n : today - first > n ? n : today - first;
  let active = toBigInt(book.total);
  for (let k = 0n; k < passed; k++) active -= toBigInt(book.buckets[Number((first + k) % n)]);
  return new BN((active < 0n ? 0n : active).toString());
}

/**
 * What completing a withdrawal of `pendingShares` pays on the pool's current state
 * (`complete_withdrawal`): the shares' value now on exit capital (free capital net of
 * the claims still voting; a completion is refused while any votes, so when it can run
 * this is free capital). Shares under a request are full holders until they leave: the
 * value at request is statistics. The program first releases earned premium into
 * capital, so the payout on chain can be a little higher, never lower.
 */
export function withdrawalPayout(view: Pick<PoolView, "account" | "exitCapital">, pendingShares: Amount): BN {
  return valueOfShares(pendingShares, view.exitCapital, view.account.totalShares.toString());
}
const bnMax0 = (x: BN) => (x.isNeg() ? BN0 : x);

/**
 * The volume fee on `volume` at `rateBps` (`math::volume_fee`): `ceil(volume · rate /
 * 10 000)`, so splitting a volume never pays less than one contribution.
 */
export function volumeFee(volume: Amount, rateBps: Amount): BN {
  const product = toU64(volume, "volume").mul(toU64(rateBps, "rateBps"));
  return product.addn(BPS - 1).divn(BPS);
}

const U64_MAX = (1n << 64n) - 1n;
/** Fixed-point one of `math::decayed_loss`. */
const DECAY_ONE = 10n ** 18n;
const DAY_SECS = 86_400n;

/**
 * `index · (1 − decayBps / 10 000)^days`, rounded down (`math::decayed_loss`, bit for
 * bit: the same 10^18 fixed point, squaring with each product rounded down, at most
 * 2^20 days): what a loss index of `index` is worth `days` later. `decayBps` is
 * clamped to [0, 10 000].
 */
export function decayedLoss(index: Amount, decayBps: Amount, days: Amount): BN {
  const i = toBigInt(toU64(index, "index"));
  const d = toBigInt(toU64(decayBps, "decayBps"));
  const n = toBigInt(toU64(days, "days"));
  if (i === 0n || n === 0n) return new BN(i.toString());
  const bps = BigInt(BPS);
  const keep = (d >= bps ? 0n : bps - d) * (DECAY_ONE / bps);
  let [factor, base, e] = [DECAY_ONE, keep, n < 1n << 20n ? n : 1n << 20n];
  while (e > 0n && factor > 0n) {
    if (e & 1n) factor = (factor * base) / DECAY_ONE;
    base = (base * base) / DECAY_ONE;
    e >>= 1n;
  }
  const r = (i * factor) / DECAY_ONE;
  return new BN((r > U64_MAX ? U64_MAX : r).toString());
}

/** The day number of unix time `t` (`math::day_of`: `floor(max(t, 0) / 86 400)`). */
export function dayOf(t: Amount): BN {
  const v = toBigInt(toI64(t, "time"));
  return new BN((v > 0n ? v / DAY_SECS : 0n).toString());
}

/**
 * A pool's volume loss index at unix time `now` (`Pool::volume_loss_at`): the stored
 * `volumeLoss` (as of the start of day `volumeLossDay`) decayed by the curve's
 * `lossDecayPerDay` for every day since. This is the `lossIndex` a `quote_volume` at
 * `now` reports. It moves only by `cover_shortfall` from a registration that can draw
 * (active and past its `activeFrom`), by at most that event's per-event limit.
 */
export function volumeLossAt(
  pool: { volumeLoss: BN; volumeLossDay: BN; params: { volume: { lossDecayPerDay: BN } } },
  now: Amount,
): BN {
  const days = toBigInt(dayOf(now)) - BigInt(pool.volumeLossDay.toString());
  return decayedLoss(pool.volumeLoss, pool.params.volume.lossDecayPerDay, days > 0n ? days : 0n);
}

/**
 * The volume rate (bps of volume) for a pool with `lossIndex` and `freeCapital`
 * (`math::volume_target_rate`): `clamp(baseRate + ceil(lossSlope · lossIndex /
 * freeCapital), minRate, maxRate)`, `maxRate` when there is a loss and no free capital.
 * The rate is a function of the pool's state at the trade alone: with the inputs of a
 * [`VolumeQuote`] (`lossIndex`, `freeCapital`) and the pool's curve this is its `rateBps`.
 */
export function volumeRate(curve: VolumeCurve, lossIndex: Amount, freeCapital: Amount): BN {
  const u = (x: Amount, what: string) => toBigInt(toU64(x, what));
  const [base, slope, min, max] = [u(curve.baseRate, "baseRate"), u(curve.lossSlope, "lossSlope"), u(curve.minRate, "minRate"), u(curve.maxRate, "maxRate")];
  const [loss, free] = [u(lossIndex, "lossIndex"), u(freeCapital, "freeCapital")];
  let rate: bigint;
  if (loss === 0n || slope === 0n) rate = base;
  else if (free === 0n) rate = U64_MAX;
  else rate = base + (slope * loss + free - 1n) / free;
  if (rate > U64_MAX) rate = U64_MAX;
  if (rate < min) rate = min;
  const ceiling = max > min ? max : min;
  if (rate > ceiling) rate = ceiling;
  return new BN(rate.toString());
}

/**
 * Whether `contribute_volume` accepts volume from `registration` at unix time `now`
 * (`insurance_pool_cpi::accepts_volume`, which the example exchange checks before it
 * charges a trade): premium contributions not paused (pool or protocol), and the
 * registration active and past its `activeFrom` on the pool's exit clock, a pending
 * change applied first as the pool does. While it is false the example exchange opens
 * positions without a fee, and a direct `contributeVolume` is refused
 * (`Paused`, `ExchangeInactive`, `ExchangeNotYetActive`).
 */
export function acceptsVolume(
  protocol: { paused: number; withdrawPause: PauseClock },
  pool: { paused: number; withdrawPause: PauseClock; votingPause: PauseClock; exitClockHigh: BN },
  // `active` is a u8 on chain (1 active, 0 deactivated); a boolean is accepted too.
  registration: { active: number | boolean; activeFrom: BN; pendingAt: BN },
  now: Amount,
): boolean {
  if (((pool.paused | protocol.paused) & PAUSE.premium) !== 0) return false;
  const clock = exitClock(pool, protocol, now);
  const pendingAt = new BN(registration.pendingAt.toString());
  const active = Boolean(registration.active) || (!pendingAt.isZero() && clock.gte(pendingAt));
  return active && clock.gte(new BN(registration.activeFrom.toString()));
}

/**
 * How long a new exchange registration (or raised limits, a new destination, new pool
 * parameters) waits before it applies: the longer of the deposit lock and a voter's
 * lock (voting period + hold-up), plus the longest a withdrawal request can wait (its
 * cooldown, or the cover in force when it was made: at most a term plus its expiry
 * day), plus 1 day (`PoolParams::exit_horizon`; 62 days with the SDK's default
 * parameters). The program waits longer while cover sold under a longer term is still
 * in force (`Pool::activation_delay`): read `activeFrom` / `pendingAt` from the chain. The delay runs on the
 * pool's exit clock (see [`exitClock`]): time during which withdrawals were paused does
 * not count, so `activeFrom` / `pendingAt` / `pendingParamsAt` are exit-clock times.
 */
export function activationDelay(params: PoolParams): BN {
  const bn = (x: BN) => new BN(x.toString());
  const voteLock = bn(params.governance.votingPeriod).add(bn(params.governance.holdupPeriod));
  const longestWait = BN.max(bn(params.withdrawalCooldown), bn(params.coverageDuration).addn(86_400));
  return BN.max(bn(params.minDepositLock), voteLock).add(longestWait).addn(86_400);
}

/** Seconds a withdrawal pause has lasted at `now` (ended pauses plus the current one). */
export function pausedSeconds(pause: PauseClock, now: Amount): BN {
  const t = new BN(toI64(now, "now").toString());
  const since = new BN(pause.pausedSince.toString());
  const current = since.isZero() ? BN0 : bnMax0(t.sub(since));
  return new BN(pause.pausedSecs.toString()).add(current);
}

/**
 * A pool's exit clock at unix time `now` (`Pool::exit_clock`): wall time minus the time
 * withdrawals could not complete: paused, for the pool and for the protocol, or refused
 * while the pool's claims voted (`votingPause`); never below the highest reading an
 * instruction recorded (`exitClockHigh`: overlapping stops must not run it backwards).
 * Activation times of exchange registrations and pending parameters, and withdrawal
 * windows, are on this clock.
 */
export function exitClock(
  pool: {
    withdrawPause: PauseClock;
    votingPause: PauseClock;
    exitClockHigh: BN;
    holdupFrom?: BN;
    holdupUntil?: BN;
    holdupSecs?: BN;
  },
  protocol: { withdrawPause: PauseClock },
  now: Amount,
): BN {
  // Hold-ups of approved claims (`Pool::holdup_secs_at`): the ended runs, plus the
  // current run from `holdupFrom` to `holdupUntil` (overlapping hold-ups once).
  const t = new BN(toI64(now, "now").toString());
  const bn = (x: BN | undefined) => new BN((x ?? 0).toString());
  const holdupUntil = bn(pool.holdupUntil);
  const running = bnMax0(BN.min(t, holdupUntil).sub(bn(pool.holdupFrom)));
  const clock = t
    .sub(pausedSeconds(pool.withdrawPause, now))
    .sub(pausedSeconds(protocol.withdrawPause, now))
    .sub(pausedSeconds(pool.votingPause, now))
    .sub(bn(pool.holdupSecs).add(running));
  const high = new BN(pool.exitClockHigh.toString());
  return clock.gt(high) ? clock : high;
}

/**
 * First unix time at which shares staked at `stakedAt` are seasoned, for stake periods of
 * `age` seconds (`math::seasoned_from`): the start of the second period after the one
 * holding `stakedAt`, between `age` and `2 · age` later. A deposit made at `stakedAt`
 * votes on claims filed from then.
 */
export function seasonedFrom(stakedAt: Amount, age: Amount): BN {
  const t = toBigInt(toI64(stakedAt, "stakedAt"));
  const a = toBigInt(toI64(age, "age"));
  const period = a > 0n ? a : 1n;
  return new BN((((t > 0n ? t : 0n) / period + 2n) * period).toString());
}

/**
 * Earliest filing time of a claim on which every share of the position `u` votes
 * (`Underwriter::votes_from`; `age`: the pool's `governance.minStakeAge`; shares under a
 * withdrawal request vote too): strictly after its last deposit and stake, with none of
 * its shares young at the filing. `null` when the position has no share. Between `age`
 * and `2 · age` after its last stake, depending on where in its stake period that fell.
 */
export function votesFrom(
  u: Pick<UnderwriterAccount, "shares" | "lastStakeAt" | "lastDepositAt" | "youngShares">,
  age: Amount,
): BN | null {
  if (toBigInt(u.shares.toString()) <= 0n) return null;
  const stake = BN.max(new BN(u.lastStakeAt.toString()), new BN(u.lastDepositAt.toString()));
  const after = stake.addn(1);
  const y = u.youngShares;
  const a = toBigInt(toI64(age, "age"));
  const period = new BN((a > 0n ? a : 1n).toString());
  // The record's lots were staked in `period` and `period - 1` (`YoungShares::seasoned_at`).
  const lot = !new BN(y.current.toString()).isZero()
    ? new BN(y.period.toString())
    : !new BN(y.previous.toString()).isZero()
      ? new BN(y.period.toString()).subn(1)
      : null;
  if (lot === null) return after;
  return BN.max(seasonedFrom(lot.mul(period).toString(), age), after);
}

/**
 * Unix time a pending withdrawal lapses (`Underwriter::lapses_at`) if the pool's exit
 * clock, reading `clock` at unix time `now` ([`exitClock`]), keeps running: its window
 * is on the exit clock, which stands still while the pool's claims vote or withdrawals
 * are paused, so the lapse moves later meanwhile. The window's close is fixed at the
 * request (`windowClosesAt`). `null` without a pending withdrawal.
 */
export function withdrawalLapsesAt(
  u: Pick<UnderwriterAccount, "pendingShares" | "windowClosesAt">,
  clock: Amount,
  now: Amount,
): BN | null {
  if (new BN(u.pendingShares.toString()).isZero()) return null;
  const closes = new BN(u.windowClosesAt.toString());
  return new BN(toI64(now, "now").toString()).add(closes.sub(new BN(toI64(clock, "clock").toString())));
}

/**
 * The `maxPremium` bound of a purchase made from `quote`: its premium plus `slippageBps`
 * of it (rounded down), what [`InsurancePoolClient.buyCover`] passes.
 */
export function maxPremiumFor(quote: Pick<PremiumQuote, "premium">, slippageBps: Amount): BN {
  const slippage = toU64(slippageBps, "slippageBps");
  return new BN(quote.premium.toString()).mul(slippage.addn(10_000)).divn(10_000);
}

/** Exchange limits: absolute caps, and caps in bps of free capital (default 100 %). */
export function exchangeLimits(limits: {
  perEventCap: Amount;
  perEpochCap: Amount;
  epochLength: Amount;
  perEventBps?: Amount;
  perEpochBps?: Amount;
}): ExchangeLimits {
  return {
    perEventCap: toU64(limits.perEventCap, "perEventCap"),
    perEpochCap: toU64(limits.perEpochCap, "perEpochCap"),
    epochLength: toI64(limits.epochLength, "epochLength"),
    perEventBps: toU64(limits.perEventBps ?? 10_000, "perEventBps"),
    perEpochBps: toU64(limits.perEpochBps ?? 10_000, "perEpochBps"),
  };
}

/** Builders and reads for the insurance pool program. */
export class InsurancePoolClient {
  readonly program: Program<InsurancePool>;
  readonly protocol: PublicKey;

  /**
   * `options.programId`: where the program is deployed, when not at the IDL's address
   * (a fork or a devnet deployment under another key); every PDA is derived from it.
   */
  constructor(
    readonly provider: AnchorProvider,
    options: { programId?: PublicKey } = {},
  ) {
    const idl = options.programId ? { ...INSURANCE_POOL_IDL, address: options.programId.toBase58() } : INSURANCE_POOL_IDL;
    this.program = new Program<InsurancePool>(idl, provider);
    this.protocol = protocolAddress(this.program.programId);
  }

  /** A market's pool addresses under this client's program (see [`poolKeys`]). */
  poolKeys(market: PublicKey, mint: PublicKey, tokenProgram: PublicKey): PoolKeys {
    return poolKeys(market, mint, tokenProgram, this.programId);
  }

  get programId(): PublicKey {
    return this.program.programId;
  }

  // ---- protocol ----

  /**
   * `upgradeAuthority`: the program's upgrade authority (it must sign: only the deployer
   * can initialise, so nobody front-runs it with their own authority).
   */
  initializeProtocol(
    payer: PublicKey,
    upgradeAuthority: PublicKey,
    authority: PublicKey,
    guardian: PublicKey,
  ): Promise<TransactionInstruction> {
    return this.program.methods
      .initializeProtocol(authority, guardian)
      .accountsStrict({
        payer,
        upgradeAuthority,
        programData: programDataAddress(this.programId),
        protocol: this.protocol,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  updateProtocol(authority: PublicKey, args: UpdateProtocolArgs): Promise<TransactionInstruction> {
    return this.program.methods.updateProtocol(args).accountsStrict({ authority, protocol: this.protocol }).instruction();
  }

  acceptAuthority(newAuthority: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods.acceptAuthority().accountsStrict({ newAuthority, protocol: this.protocol }).instruction();
  }

  setProtocolPause(signer: PublicKey, flags: number): Promise<TransactionInstruction> {
    return this.program.methods.setProtocolPause(flags).accountsStrict({ signer, protocol: this.protocol }).instruction();
  }

  setPoolPause(signer: PublicKey, keys: PoolKeys, flags: number): Promise<TransactionInstruction> {
    return this.program.methods
      .setPoolPause(flags)
      .accountsStrict({ signer, protocol: this.protocol, pool: keys.pool })
      .instruction();
  }

  // ---- pools ----

  createPool(payer: PublicKey, authority: PublicKey, keys: PoolKeys, params: PoolParams): Promise<TransactionInstruction> {
    return this.program.methods
      .createPool(keys.market, params)
      .accountsStrict({
        payer,
        authority,
        protocol: this.protocol,
        pool: keys.pool,
        mint: keys.mint,
        vault: keys.vault,
        bondVault: keys.bondVault,
        exposure: keys.exposure,
        tokenProgram: keys.tokenProgram,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  updatePoolParams(authority: PublicKey, keys: PoolKeys, params: PoolParams): Promise<TransactionInstruction> {
    return this.program.methods
      .updatePoolParams(params)
      .accountsStrict({ authority, protocol: this.protocol, pool: keys.pool })
      .instruction();
  }

  // ---- underwriters ----

  /**
   * Deposits `amount` (u64 base units), minting at least `minShares` (u128; refused
   * with `SlippageExceeded` below it). Refused (`HoldupDepositsClosed`) while an
   * approved claim is in its hold-up (until the pool's `holdupUntil`).
   */
  deposit(owner: PublicKey, keys: PoolKeys, ownerToken: PublicKey, amount: Amount, minShares: Amount = 0): Promise<TransactionInstruction> {
    return this.program.methods
      .deposit(toU64(amount, "amount"), toU128(minShares, "minShares"))
      .accountsStrict({
        owner,
        protocol: this.protocol,
        pool: keys.pool,
        underwriter: underwriterAddress(keys.pool, owner, this.programId),
        exposure: keys.exposure,
        ownerToken,
        vault: keys.vault,
        mint: keys.mint,
        tokenProgram: keys.tokenProgram,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  /**
   * Asks to withdraw `shares` (u128). The request is valued on free capital (claims
   * still voting are not subtracted); the completion waits until no claim votes.
   */
  requestWithdrawal(owner: PublicKey, keys: PoolKeys, shares: Amount): Promise<TransactionInstruction> {
    return this.program.methods
      .requestWithdrawal(toU128(shares, "shares"))
      .accountsStrict({
        owner,
        protocol: this.protocol,
        pool: keys.pool,
        underwriter: underwriterAddress(keys.pool, owner, this.programId),
        exposure: keys.exposure,
      })
      .instruction();
  }

  cancelWithdrawal(owner: PublicKey, keys: PoolKeys): Promise<TransactionInstruction> {
    return this.program.methods
      .cancelWithdrawal()
      .accountsStrict({ owner, pool: keys.pool, underwriter: underwriterAddress(keys.pool, owner, this.programId) })
      .instruction();
  }

  /**
   * Expires `owner`'s lapsed withdrawal request (its window closed on the pool's exit
   * clock): it stops counting as leaving, nothing else changes (the shares stay pending
   * until the owner cancels). Anyone may send it, e.g. before buying cover, since a
   * lapsed request among live ones would keep cover dearer. Refused while the request is
   * live (`WithdrawalNotLapsed`) and a second time (`WithdrawalExpiredAlready`).
   */
  expireWithdrawal(owner: PublicKey, keys: PoolKeys): Promise<TransactionInstruction> {
    return this.program.methods
      .expireWithdrawal()
      .accountsStrict({
        protocol: this.protocol,
        pool: keys.pool,
        underwriter: underwriterAddress(keys.pool, owner, this.programId),
      })
      .instruction();
  }

  /**
   * Completes a withdrawal after the cooldown into `destination` (a token account of the
   * pool's mint; never a pool's vault or bond escrow: `ForbiddenDestination`). Pays
   * `min(value at request, value now)` and burns every pending share. Refused while a
   * claim of the pool votes (`ClaimsVoting`); the window runs on the pool's exit clock,
   * which stands still meanwhile, so waiting for the vote never lapses the request.
   */
  completeWithdrawal(owner: PublicKey, keys: PoolKeys, destination: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .completeWithdrawal()
      .accountsStrict({
        owner,
        protocol: this.protocol,
        pool: keys.pool,
        underwriter: underwriterAddress(keys.pool, owner, this.programId),
        exposure: keys.exposure,
        destination,
        vault: keys.vault,
        mint: keys.mint,
        tokenProgram: keys.tokenProgram,
      })
      .instruction();
  }

  // ---- premiums ----

  /** `member`: the caller's Member account, to quote a top-up of an active cover. */
  quotePremium(keys: PoolKeys, notional: Amount, member: PublicKey | null = null): Promise<TransactionInstruction> {
    return this.program.methods
      .quotePremium(toU64(notional, "notional"))
      .accountsStrict({ protocol: this.protocol, pool: keys.pool, exposure: keys.exposure, member })
      .instruction();
  }

  /**
   * Simulates `quote_premium` and decodes its return data (moves nothing). `member`:
   * the Member account (see [`quoteFor`], which finds it for an owner).
   */
  async quote(keys: PoolKeys, notional: Amount, member: PublicKey | null = null): Promise<PremiumQuote> {
    return (await this.program.methods
      .quotePremium(toU64(notional, "notional"))
      .accountsStrict({ protocol: this.protocol, pool: keys.pool, exposure: keys.exposure, member })
      .view()) as PremiumQuote;
  }

  /**
   * Quotes cover of `notional` for `owner`: with its Member account when it has one,
   * so an active cover is quoted as the top-up `contributePremium` would make (its
   * expiry, the premium for all the time left) rather than as a new term.
   */
  async quoteFor(keys: PoolKeys, notional: Amount, owner: PublicKey): Promise<PremiumQuote> {
    const member = memberAddress(keys.pool, owner, this.programId);
    const exists = (await this.provider.connection.getAccountInfo(member)) !== null;
    return this.quote(keys, notional, exists ? member : null);
  }

  /**
   * Where a fee-charging instruction of this pool sends the protocol fee: `null` while
   * the protocol charges none (the program then takes no treasury account), else the
   * treasury's associated token account for the pool's mint, with `setup`: an
   * idempotent creation of that account paid by `payer` (nothing happens if it exists;
   * the first payer of a fee in a new mint pays its rent). Without it the program
   * refuses with `MissingTreasuryAccount`.
   */
  async treasuryFor(
    payer: PublicKey,
    keys: Pick<PoolKeys, "mint" | "tokenProgram">,
  ): Promise<{ treasuryToken: PublicKey | null; setup: TransactionInstruction[] }> {
    const protocol = await this.fetchProtocol();
    if (protocol.protocolFeeBps === 0) return { treasuryToken: null, setup: [] };
    const treasuryToken = treasuryTokenAddress(keys, protocol.treasury);
    const setup = [
      createAssociatedTokenAccountIdempotentInstruction(payer, treasuryToken, protocol.treasury, keys.mint, keys.tokenProgram),
    ];
    return { treasuryToken, setup };
  }

  /**
   * The documented quote-then-buy flow: quotes with the owner's Member account, then
   * builds `contributePremium` bounded by that quote (at most its premium, plus
   * `slippageBps`; refused unless the cover ends at or after its `coverageExpiry`).
   * The treasury's token account is found with [`treasuryFor`] unless
   * `treasuryToken` is given; send `[...setup, instruction]`.
   */
  async buyCover(
    owner: PublicKey,
    keys: PoolKeys,
    ownerToken: PublicKey,
    notional: Amount,
    options: { slippageBps?: number; treasuryToken?: PublicKey | null } = {},
  ): Promise<{ quote: PremiumQuote; instruction: TransactionInstruction; setup: TransactionInstruction[] }> {
    const quote = await this.quoteFor(keys, notional, owner);
    const maxPremium = maxPremiumFor(quote, options.slippageBps ?? 0);
    const { treasuryToken, setup } =
      options.treasuryToken === undefined ? await this.treasuryFor(owner, keys) : { treasuryToken: options.treasuryToken, setup: [] };
    const instruction = await this.contributePremium(
      owner,
      keys,
      ownerToken,
      notional,
      maxPremium,
      quote.coverageExpiry,
      treasuryToken,
    );
    return { quote, instruction, setup };
  }

  /**
   * Buys (or tops up) cover of `notional`, paying at most `maxPremium`. `minExpiry`
   * (unix seconds, 0 = no bound): refused (`CoverageEndsTooSoon`) if the cover would end
   * before it; pass the `coverageExpiry` of a quote made with the member's account (see
   * [`buyCover`]), so a cover about to expire is not silently turned into a short
   * top-up. `treasuryToken`: the treasury's token account, needed when a protocol fee
   * is due.
   */
  contributePremium(
    owner: PublicKey,
    keys: PoolKeys,
    ownerToken: PublicKey,
    notional: Amount,
    maxPremium: Amount,
    minExpiry: Amount = 0,
    treasuryToken: PublicKey | null = null,
  ): Promise<TransactionInstruction> {
    return this.program.methods
      .contributePremium(toU64(notional, "notional"), toU64(maxPremium, "maxPremium"), toI64(minExpiry, "minExpiry"))
      .accountsStrict({
        owner,
        protocol: this.protocol,
        pool: keys.pool,
        member: memberAddress(keys.pool, owner, this.programId),
        exposure: keys.exposure,
        ownerToken,
        vault: keys.vault,
        treasuryToken,
        mint: keys.mint,
        tokenProgram: keys.tokenProgram,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  // ---- exchanges ----

  registerExchange(
    payer: PublicKey,
    authority: PublicKey,
    keys: PoolKeys,
    exchangeAuthority: PublicKey,
    destination: PublicKey,
    limits: ExchangeLimits,
  ): Promise<TransactionInstruction> {
    return this.program.methods
      .registerExchange(exchangeAuthority, limits)
      .accountsStrict({
        payer,
        authority,
        protocol: this.protocol,
        pool: keys.pool,
        registration: exchangeRegistrationAddress(keys.pool, exchangeAuthority, this.programId),
        destination,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  updateExchange(
    authority: PublicKey,
    keys: PoolKeys,
    registration: PublicKey,
    destination: PublicKey,
    limits: ExchangeLimits,
  ): Promise<TransactionInstruction> {
    return this.program.methods
      .updateExchange(limits)
      .accountsStrict({ authority, protocol: this.protocol, registration, pool: keys.pool, destination })
      .instruction();
  }

  deactivateExchange(authority: PublicKey, registration: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .deactivateExchange()
      .accountsStrict({ authority, protocol: this.protocol, registration })
      .instruction();
  }

  /** A direct `cover_shortfall` (exchanges normally reach it by CPI). */
  coverShortfall(
    exchangeAuthority: PublicKey,
    keys: PoolKeys,
    registration: PublicKey,
    destination: PublicKey,
    amount: Amount,
    nonce: Amount,
  ): Promise<TransactionInstruction> {
    return this.program.methods
      .coverShortfall(toU64(amount, "amount"), toU64(nonce, "nonce"))
      .accountsStrict({
        exchangeAuthority,
        protocol: this.protocol,
        pool: keys.pool,
        registration,
        destination,
        vault: keys.vault,
        mint: keys.mint,
        tokenProgram: keys.tokenProgram,
      })
      .instruction();
  }

  /**
   * A direct `contribute_volume` (exchanges normally reach it by CPI, signed by their
   * registered authority PDA): pays the pool's volume fee on `volume`,
   * `ceil(volume · rate / 10 000)`, from `source` (a token account of the pool's mint
   * owned by `exchangeAuthority`), refused (`VolumeRateAboveMaximum`) when the rate is
   * above `maxRateBps`. The fee net of the protocol fee is held as unearned premium and
   * earned into capital over 7 days. `treasuryToken`: the treasury's token account,
   * needed when a protocol fee is due. Return data: the fee charged (u64).
   */
  contributeVolume(
    exchangeAuthority: PublicKey,
    keys: PoolKeys,
    registration: PublicKey,
    source: PublicKey,
    volume: Amount,
    maxRateBps: Amount,
    treasuryToken: PublicKey | null = null,
  ): Promise<TransactionInstruction> {
    return this.program.methods
      .contributeVolume(toU64(volume, "volume"), toU64(maxRateBps, "maxRateBps"))
      .accountsStrict({
        exchangeAuthority,
        protocol: this.protocol,
        pool: keys.pool,
        registration,
        exposure: keys.exposure,
        source,
        vault: keys.vault,
        treasuryToken,
        mint: keys.mint,
        tokenProgram: keys.tokenProgram,
      })
      .instruction();
  }

  /** Quote of the volume fee on `volume` (return data: `VolumeQuote`; see [`volumeQuote`]). */
  quoteVolume(keys: PoolKeys, volume: Amount): Promise<TransactionInstruction> {
    return this.program.methods
      .quoteVolume(toU64(volume, "volume"))
      .accountsStrict({ protocol: this.protocol, pool: keys.pool, exposure: keys.exposure })
      .instruction();
  }

  /**
   * Simulates `quote_volume` and decodes its return data (moves nothing): the fee
   * `contribute_volume` would charge on `volume` now (protocol fee included), the rate
   * and its inputs: `lossIndex` (see [`volumeLossAt`]) and `freeCapital`, on the pool
   * refreshed and earned to now, so that `rateBps = volumeRate(params.volume, lossIndex,
   * freeCapital)`.
   */
  async volumeQuote(keys: PoolKeys, volume: Amount): Promise<VolumeQuote> {
    return (await this.program.methods
      .quoteVolume(toU64(volume, "volume"))
      .accountsStrict({ protocol: this.protocol, pool: keys.pool, exposure: keys.exposure })
      .view()) as VolumeQuote;
  }

  /**
   * Whether the pool accepts volume from `exchangeAuthority`'s registration now (see
   * [`acceptsVolume`]), on the node's clock.
   */
  async fetchAcceptsVolume(keys: PoolKeys, exchangeAuthority: PublicKey): Promise<boolean> {
    const [account, protocol, registration, clock] = await Promise.all([
      this.fetchPool(keys),
      this.fetchProtocol(),
      this.fetchRegistration(keys, exchangeAuthority),
      this.provider.connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY),
    ]);
    if (!clock) throw new Error("no clock sysvar");
    return acceptsVolume(protocol, account, registration, clock.data.readBigInt64LE(32));
  }

  // ---- claims ----

  /** The claim `claimant` files next (its Member's `claimCount`): id and address. */
  async nextClaim(keys: PoolKeys, claimant: PublicKey): Promise<{ id: BN; claim: PublicKey }> {
    const member = await this.program.account.member.fetchNullable(memberAddress(keys.pool, claimant, this.programId));
    const id = member ? member.claimCount : new BN(0);
    return { id, claim: claimAddress(keys.pool, claimant, id, this.programId) };
  }

  /** `id`: the claimant's own claim index (its Member's `claimCount`, see [`nextClaim`]). */
  fileClaim(
    claimant: PublicKey,
    keys: PoolKeys,
    id: Amount,
    claimantToken: PublicKey,
    amount: Amount,
    evidenceHash: number[] | Uint8Array,
    uri: string,
  ): Promise<TransactionInstruction> {
    return this.program.methods
      .fileClaim(toU64(amount, "amount"), Array.from(evidenceHash), uri)
      .accountsStrict({
        claimant,
        protocol: this.protocol,
        pool: keys.pool,
        member: memberAddress(keys.pool, claimant, this.programId),
        claim: claimAddress(keys.pool, claimant, id, this.programId),
        claimantToken,
        bondVault: keys.bondVault,
        mint: keys.mint,
        tokenProgram: keys.tokenProgram,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  castVote(voter: PublicKey, keys: PoolKeys, claim: PublicKey, approve: boolean): Promise<TransactionInstruction> {
    return this.program.methods
      .castVote(approve)
      .accountsStrict({
        voter,
        protocol: this.protocol,
        pool: keys.pool,
        claim,
        underwriter: underwriterAddress(keys.pool, voter, this.programId),
        voteRecord: voteAddress(claim, voter, this.programId),
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  /** `claimant`: the claim's claimant (its Member account is touched). */
  finalizeClaim(keys: PoolKeys, claim: PublicKey, claimant: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .finalizeClaim()
      .accountsStrict({ protocol: this.protocol, pool: keys.pool, claim, member: memberAddress(keys.pool, claimant, this.programId) })
      .instruction();
  }

  vetoClaim(guardian: PublicKey, keys: PoolKeys, claim: PublicKey, claimant: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .vetoClaim()
      .accountsStrict({ guardian, protocol: this.protocol, pool: keys.pool, claim, member: memberAddress(keys.pool, claimant, this.programId) })
      .instruction();
  }

  /**
   * Pays an approved claim after its hold-up. `claimantToken`: the claimant's associated
   * token account of the pool's mint (the default; anything else is refused with
   * `NotAssociatedTokenAccount`).
   */
  payClaim(
    keys: PoolKeys,
    claim: PublicKey,
    claimant: PublicKey,
    claimantToken: PublicKey = claimantTokenAddress(keys, claimant),
  ): Promise<TransactionInstruction> {
    return this.program.methods
      .payClaim()
      .accountsStrict({
        protocol: this.protocol,
        pool: keys.pool,
        claim,
        member: memberAddress(keys.pool, claimant, this.programId),
        claimantToken,
        vault: keys.vault,
        mint: keys.mint,
        tokenProgram: keys.tokenProgram,
      })
      .instruction();
  }

  cancelClaim(claimant: PublicKey, keys: PoolKeys, claim: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .cancelClaim()
      .accountsStrict({ claimant, pool: keys.pool, claim, member: memberAddress(keys.pool, claimant, this.programId) })
      .instruction();
  }

  /**
   * Returns a settled claim's bond. `claimantToken`: the claimant's associated token
   * account of the pool's mint (see `claimantTokenAddress`; anything else is refused
   * with `NotAssociatedTokenAccount`).
   */
  withdrawBond(keys: PoolKeys, claim: PublicKey, claimantToken: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .withdrawBond()
      .accountsStrict({
        pool: keys.pool,
        claim,
        claimantToken,
        bondVault: keys.bondVault,
        vault: keys.vault,
        mint: keys.mint,
        tokenProgram: keys.tokenProgram,
      })
      .instruction();
  }

  // ---- reads ----

  fetchProtocol() {
    return this.program.account.protocol.fetch(this.protocol);
  }
  fetchPool(keys: PoolKeys) {
    return this.program.account.pool.fetch(keys.pool);
  }
  /** The pool and what is derived from it: free and exit capital, the vault by conservation, the mint's freeze authority. */
  async fetchPoolView(keys: PoolKeys): Promise<PoolView> {
    const account = await this.fetchPool(keys);
    const freeCapital = bnMax0(account.capital.sub(account.reservedForClaims));
    return {
      account,
      freeCapital,
      exitCapital: bnMax0(freeCapital.sub(account.votingClaims)),
      unearnedPremiums: account.unearnedPremiums,
      expectedVault: account.capital.add(account.unearnedPremiums),
      mintHasFreezeAuthority: account.mintHasFreezeAuthority !== 0,
      depositsClosedUntil: account.holdupUntil,
    };
  }
  /** The pool's exposure book and earning book (unearned premium by the day it is earned). */
  fetchExposure(keys: PoolKeys) {
    return this.program.account.poolExposure.fetch(keys.exposure);
  }
  /** The pool's exit clock now (from the node's clock): activation times are on it. */
  async fetchExitClock(keys: PoolKeys): Promise<BN> {
    const [account, protocol, clock] = await Promise.all([
      this.fetchPool(keys),
      this.fetchProtocol(),
      this.provider.connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY),
    ]);
    if (!clock) throw new Error("no clock sysvar");
    return exitClock(account, protocol, clock.data.readBigInt64LE(32));
  }
  fetchUnderwriter(keys: PoolKeys, owner: PublicKey) {
    return this.program.account.underwriter.fetch(underwriterAddress(keys.pool, owner, this.programId));
  }
  fetchMember(keys: PoolKeys, owner: PublicKey) {
    return this.program.account.member.fetch(memberAddress(keys.pool, owner, this.programId));
  }
  /** The claim `claimant` filed as its `id`-th. */
  fetchClaim(keys: PoolKeys, claimant: PublicKey, id: Amount) {
    return this.program.account.claim.fetch(claimAddress(keys.pool, claimant, id, this.programId));
  }
  fetchRegistration(keys: PoolKeys, exchangeAuthority: PublicKey) {
    return this.program.account.exchangeRegistration.fetch(exchangeRegistrationAddress(keys.pool, exchangeAuthority, this.programId));
  }

  /** The program's events in a transaction's logs (as `emit!` wrote them). */
  parseEvents(logs: string[]): { name: string; data: Record<string, unknown> }[] {
    const parser = new EventParser(this.programId, this.program.coder);
    return Array.from(parser.parseLogs(logs)) as { name: string; data: Record<string, unknown> }[];
  }
}

/**
 * The least collateral the example exchange's `open_position` accepts for a position of
 * `notional` that pays an insurance fee of `fee` (0 while the pool does not accept the
 * exchange's volume): the leverage limit on the collateral before the fee,
 * `ceil(notional / maxLeverage)`, and the maintenance margin on what the fee leaves,
 * `floor(notional · maintenanceMarginBps / 10 000) + fee`, whichever is larger. Less is
 * refused with `LeverageTooHigh` or `InsufficientCollateral`.
 */
export function requiredCollateral(
  market: { maintenanceMarginBps: BN; maxLeverage: BN },
  notional: Amount,
  fee: Amount,
): BN {
  const n = toU64(notional, "notional");
  // create_market keeps maxLeverage in [1, 100].
  const leverage = BN.max(toU64(market.maxLeverage, "maxLeverage"), new BN(1));
  const byLeverage = n.add(leverage).subn(1).div(leverage);
  const byMargin = n.mul(toU64(market.maintenanceMarginBps, "maintenanceMarginBps")).divn(BPS).add(toU64(fee, "fee"));
  return BN.max(byLeverage, byMargin);
}

/** Builders for the example exchange (the integration example). */
export class ExampleExchangeClient {
  readonly program: Program<ExampleExchange>;

  constructor(readonly provider: AnchorProvider) {
    this.program = new Program<ExampleExchange>(EXAMPLE_EXCHANGE_IDL, provider);
  }

  /** Creates market `keys.id` with its collateral vault and its price account, written only by `oracleAuthority`. */
  createMarket(admin: PublicKey, keys: ExchangeKeys, params: MarketParams, oracleAuthority: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .createMarket(keys.id, params, oracleAuthority)
      .accountsStrict({
        admin,
        market: keys.market,
        authority: keys.authority,
        priceFeed: keys.priceFeed,
        mint: keys.pool.mint,
        collateralVault: keys.collateralVault,
        tokenProgram: keys.pool.tokenProgram,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  /** The oracle authority publishes the market's `price`, observed at `publishTime` (unix seconds). */
  setPrice(oracleAuthority: PublicKey, keys: ExchangeKeys, price: Amount, publishTime: Amount): Promise<TransactionInstruction> {
    return this.program.methods
      .setPrice(toU64(price, "price"), toI64(publishTime, "publishTime"))
      .accountsStrict({ oracleAuthority, market: keys.market, priceFeed: keys.priceFeed })
      .instruction();
  }

  depositCollateral(owner: PublicKey, keys: ExchangeKeys, ownerToken: PublicKey, amount: Amount): Promise<TransactionInstruction> {
    return this.program.methods
      .depositCollateral(toU64(amount, "amount"))
      .accountsStrict({
        owner,
        market: keys.market,
        position: positionAddress(keys.market, owner),
        ownerToken,
        collateralVault: keys.collateralVault,
        mint: keys.pool.mint,
        tokenProgram: keys.pool.tokenProgram,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  /**
   * Opens a position of `size` (positive long, negative short) at the oracle price,
   * paying the insurance pool's volume fee on the notional `|size| · price` from the
   * trader's collateral: the exchange forwards it to the market's pool by CPI
   * (`contribute_volume`), refused (`VolumeRateAboveMaximum`) when the pool's rate is
   * above `maxInsuranceRateBps`. While the pool does not accept volume (see
   * [`acceptsVolume`]) the position opens without a fee. The leverage limit applies to
   * the collateral before the fee (`LeverageTooHigh`); the collateral left after it must
   * still cover the maintenance margin (`InsufficientCollateral`): see
   * [`requiredCollateral`]. `treasuryToken`: the protocol treasury's token account,
   * needed while a protocol fee is set. See [`openPositionQuoted`] for the
   * quote-then-trade flow.
   */
  openPosition(
    owner: PublicKey,
    keys: ExchangeKeys,
    size: Amount,
    maxInsuranceRateBps: Amount,
    treasuryToken: PublicKey | null = null,
  ): Promise<TransactionInstruction> {
    const pool = keys.pool;
    return this.program.methods
      .openPosition(toI64(size, "size"), toU64(maxInsuranceRateBps, "maxInsuranceRateBps"))
      .accountsStrict({
        owner,
        market: keys.market,
        position: positionAddress(keys.market, owner),
        priceFeed: keys.priceFeed,
        authority: keys.authority,
        collateralVault: keys.collateralVault,
        insuranceProgram: INSURANCE_POOL_PROGRAM_ID,
        insuranceProtocol: protocolAddress(),
        insurancePool: pool.pool,
        registration: exchangeRegistrationAddress(pool.pool, keys.authority),
        insuranceExposure: pool.exposure,
        insuranceVault: pool.vault,
        treasuryToken,
        mint: pool.mint,
        tokenProgram: pool.tokenProgram,
      })
      .instruction();
  }

  /**
   * The quote-then-trade flow (like `buyCover`): reads the market's oracle price,
   * quotes the pool's volume fee on the notional `|size| · price` (`quote_volume`), and
   * builds `openPosition` bounded at the quoted rate plus `rateToleranceBps` (bps of
   * volume; 0 by default: any rise is refused). `charged`: whether the pool accepts the
   * exchange's volume now (see [`acceptsVolume`]); when it does, the trade pays the
   * quote's `fee` if sent at the same price and pool state, otherwise nothing.
   * `minCollateral`: the least collateral the position needs to open at that fee (see
   * [`requiredCollateral`]; at the tolerated rate the fee, and so this, may be higher).
   * The treasury's token account is found with `InsurancePoolClient.treasuryFor` unless
   * `treasuryToken` is given; send `[...setup, instruction]`.
   */
  async openPositionQuoted(
    owner: PublicKey,
    keys: ExchangeKeys,
    size: Amount,
    options: { rateToleranceBps?: Amount; treasuryToken?: PublicKey | null } = {},
  ): Promise<{
    quote: VolumeQuote;
    notional: BN;
    charged: boolean;
    minCollateral: BN;
    instruction: TransactionInstruction;
    setup: TransactionInstruction[];
  }> {
    const insurance = new InsurancePoolClient(this.provider);
    const [feed, market] = await Promise.all([this.fetchPriceFeed(keys), this.fetchMarket(keys)]);
    const notional = toI64(size, "size").abs().mul(feed.price);
    const [quote, charged] = await Promise.all([
      insurance.volumeQuote(keys.pool, notional),
      insurance.fetchAcceptsVolume(keys.pool, keys.authority),
    ]);
    const maxRate = quote.rateBps.add(toU64(options.rateToleranceBps ?? 0, "rateToleranceBps"));
    const { treasuryToken, setup } =
      options.treasuryToken === undefined
        ? await insurance.treasuryFor(owner, keys.pool)
        : { treasuryToken: options.treasuryToken, setup: [] };
    const instruction = await this.openPosition(owner, keys, size, maxRate, treasuryToken);
    const minCollateral = requiredCollateral(market, notional, charged ? quote.fee : 0);
    return { quote, notional, charged, minCollateral, instruction, setup };
  }

  /** Liquidates `owner` at the oracle price; a shortfall is drawn from the pool by CPI. */
  liquidate(liquidator: PublicKey, keys: ExchangeKeys, owner: PublicKey): Promise<TransactionInstruction> {
    const pool = keys.pool;
    return this.program.methods
      .liquidate()
      .accountsStrict({
        liquidator,
        market: keys.market,
        position: positionAddress(keys.market, owner),
        priceFeed: keys.priceFeed,
        authority: keys.authority,
        collateralVault: keys.collateralVault,
        insuranceProgram: new PublicKey(INSURANCE_POOL_IDL.address),
        insuranceProtocol: protocolAddress(),
        insurancePool: pool.pool,
        registration: exchangeRegistrationAddress(pool.pool, keys.authority),
        insuranceVault: pool.vault,
        mint: pool.mint,
        tokenProgram: pool.tokenProgram,
      })
      .instruction();
  }

  fetchPosition(keys: ExchangeKeys, owner: PublicKey) {
    return this.program.account.position.fetch(positionAddress(keys.market, owner));
  }
  fetchMarket(keys: ExchangeKeys) {
    return this.program.account.market.fetch(keys.market);
  }
  fetchPriceFeed(keys: ExchangeKeys) {
    return this.program.account.priceFeed.fetch(keys.priceFeed);
  }

  /** The exchange's events in a transaction's logs (`positionOpened`, `liquidated`, ...). */
  parseEvents(logs: string[]): { name: string; data: Record<string, unknown> }[] {
    const parser = new EventParser(this.program.programId, this.program.coder);
    return Array.from(parser.parseLogs(logs)) as { name: string; data: Record<string, unknown> }[];
  }
}
