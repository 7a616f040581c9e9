/**
 * The insurance pool client: one instruction builder per instruction (same accounts
 * as the Rust SDK's `ix::*`), account fetching, quotes and event parsing, on
 * `@anchor-lang/core` with the committed IDL.
 */
import { AnchorProvider, BN, EventParser, Program, type IdlAccounts, type IdlEvents, type IdlTypes } from "@anchor-lang/core";
import { PublicKey, SystemProgram, type TransactionInstruction } from "@solana/web3.js";

import { type ExampleExchange, EXAMPLE_EXCHANGE_IDL } from "./idl/example_exchange.js";
import { type InsurancePool, INSURANCE_POOL_IDL } from "./idl/insurance_pool.js";
import {
  claimAddress,
  exchangeRegistrationAddress,
  memberAddress,
  positionAddress,
  protocolAddress,
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
export type MarketParams = IdlTypes<ExampleExchange>["marketParams"];
export type PoolAccount = IdlAccounts<InsurancePool>["pool"];
export type InsuranceEvents = IdlEvents<InsurancePool>;

/** Amounts: BN, bigint or number (converted to BN). */
export type Amount = BN | bigint | number;
const bn = (x: Amount) => (BN.isBN(x) ? (x as BN) : new BN(x.toString()));

/** The SDK's default pool parameters (`sdk/src/ix.rs::default_params`). */
export function defaultParams(): PoolParams {
  return {
    withdrawalCooldown: new BN(86_400),
    depositCap: new BN("1000000000000000"),
    minDeposit: new BN(1),
    curve: {
      baseRate: new BN(50),
      slope1: new BN(400),
      kink: new BN(8_000),
      slope2: new BN(6_000),
      minRate: new BN(50),
      maxRate: new BN(2_000),
    },
    maxRateChangePerDay: new BN(100),
    coverageDuration: new BN(30 * 86_400),
    maxExposureBps: new BN(50_000),
    minReserve: new BN(0),
    governance: {
      votingPeriod: new BN(3 * 86_400),
      quorumBps: new BN(2_000),
      approvalThresholdBps: new BN(6_000),
      holdupPeriod: new BN(2 * 86_400),
      bondMin: new BN(50),
      bondBps: new BN(100),
      fraudThresholdBps: new BN(8_000),
    },
  };
}

/** Builders and reads for the insurance pool program. */
export class InsurancePoolClient {
  readonly program: Program<InsurancePool>;
  readonly protocol: PublicKey;

  constructor(readonly provider: AnchorProvider) {
    this.program = new Program<InsurancePool>(INSURANCE_POOL_IDL, provider);
    this.protocol = protocolAddress();
  }

  get programId(): PublicKey {
    return this.program.programId;
  }

  // ---- protocol ----

  initializeProtocol(payer: PublicKey, authority: PublicKey, guardian: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .initializeProtocol(authority, guardian)
      .accountsStrict({ payer, protocol: this.protocol, systemProgram: SystemProgram.programId })
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

  deposit(owner: PublicKey, keys: PoolKeys, ownerToken: PublicKey, amount: Amount, minShares: Amount = 0): Promise<TransactionInstruction> {
    return this.program.methods
      .deposit(bn(amount), bn(minShares))
      .accountsStrict({
        owner,
        protocol: this.protocol,
        pool: keys.pool,
        underwriter: underwriterAddress(keys.pool, owner),
        ownerToken,
        vault: keys.vault,
        mint: keys.mint,
        tokenProgram: keys.tokenProgram,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  requestWithdrawal(owner: PublicKey, keys: PoolKeys, shares: Amount): Promise<TransactionInstruction> {
    return this.program.methods
      .requestWithdrawal(bn(shares))
      .accountsStrict({ owner, protocol: this.protocol, pool: keys.pool, underwriter: underwriterAddress(keys.pool, owner) })
      .instruction();
  }

  cancelWithdrawal(owner: PublicKey, keys: PoolKeys): Promise<TransactionInstruction> {
    return this.program.methods
      .cancelWithdrawal()
      .accountsStrict({ owner, pool: keys.pool, underwriter: underwriterAddress(keys.pool, owner) })
      .instruction();
  }

  completeWithdrawal(owner: PublicKey, keys: PoolKeys, destination: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .completeWithdrawal()
      .accountsStrict({
        owner,
        protocol: this.protocol,
        pool: keys.pool,
        underwriter: underwriterAddress(keys.pool, owner),
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
      .quotePremium(bn(notional))
      .accountsStrict({ pool: keys.pool, exposure: keys.exposure, member })
      .instruction();
  }

  /** Simulates `quote_premium` and decodes its return data (moves nothing). */
  async quote(keys: PoolKeys, notional: Amount, member: PublicKey | null = null): Promise<PremiumQuote> {
    return (await this.program.methods
      .quotePremium(bn(notional))
      .accountsStrict({ pool: keys.pool, exposure: keys.exposure, member })
      .view()) as PremiumQuote;
  }

  /** `treasuryToken`: the treasury's token account, needed when a protocol fee is due. */
  contributePremium(
    owner: PublicKey,
    keys: PoolKeys,
    ownerToken: PublicKey,
    notional: Amount,
    maxPremium: Amount,
    treasuryToken: PublicKey | null = null,
  ): Promise<TransactionInstruction> {
    return this.program.methods
      .contributePremium(bn(notional), bn(maxPremium))
      .accountsStrict({
        owner,
        protocol: this.protocol,
        pool: keys.pool,
        member: memberAddress(keys.pool, owner),
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
        registration: exchangeRegistrationAddress(keys.pool, exchangeAuthority),
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
      .coverShortfall(bn(amount), bn(nonce))
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

  // ---- claims ----

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
      .fileClaim(bn(amount), Array.from(evidenceHash), uri)
      .accountsStrict({
        claimant,
        protocol: this.protocol,
        pool: keys.pool,
        member: memberAddress(keys.pool, claimant),
        claim: claimAddress(keys.pool, bn(id)),
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
        underwriter: underwriterAddress(keys.pool, voter),
        voteRecord: voteAddress(claim, voter),
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  /** `claimant`: the claim's claimant (its Member account is touched). */
  finalizeClaim(keys: PoolKeys, claim: PublicKey, claimant: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .finalizeClaim()
      .accountsStrict({ pool: keys.pool, claim, member: memberAddress(keys.pool, claimant) })
      .instruction();
  }

  vetoClaim(guardian: PublicKey, keys: PoolKeys, claim: PublicKey, claimant: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .vetoClaim()
      .accountsStrict({ guardian, protocol: this.protocol, pool: keys.pool, claim, member: memberAddress(keys.pool, claimant) })
      .instruction();
  }

  payClaim(keys: PoolKeys, claim: PublicKey, claimant: PublicKey, claimantToken: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .payClaim()
      .accountsStrict({
        protocol: this.protocol,
        pool: keys.pool,
        claim,
        member: memberAddress(keys.pool, claimant),
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
      .accountsStrict({ claimant, pool: keys.pool, claim, member: memberAddress(keys.pool, claimant) })
      .instruction();
  }

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
  fetchUnderwriter(keys: PoolKeys, owner: PublicKey) {
    return this.program.account.underwriter.fetch(underwriterAddress(keys.pool, owner));
  }
  fetchMember(keys: PoolKeys, owner: PublicKey) {
    return this.program.account.member.fetch(memberAddress(keys.pool, owner));
  }
  fetchClaim(keys: PoolKeys, id: Amount) {
    return this.program.account.claim.fetch(claimAddress(keys.pool, bn(id)));
  }
  fetchRegistration(keys: PoolKeys, exchangeAuthority: PublicKey) {
    return this.program.account.exchangeRegistration.fetch(exchangeRegistrationAddress(keys.pool, exchangeAuthority));
  }

  /** The program's events in a transaction's logs (as `emit!` wrote them). */
  parseEvents(logs: string[]): { name: string; data: Record<string, unknown> }[] {
    const parser = new EventParser(this.programId, this.program.coder);
    return Array.from(parser.parseLogs(logs)) as { name: string; data: Record<string, unknown> }[];
  }
}

/** Builders for the example exchange (the integration example). */
export class ExampleExchangeClient {
  readonly program: Program<ExampleExchange>;

  constructor(readonly provider: AnchorProvider) {
    this.program = new Program<ExampleExchange>(EXAMPLE_EXCHANGE_IDL, provider);
  }

  createMarket(admin: PublicKey, keys: ExchangeKeys, params: MarketParams): Promise<TransactionInstruction> {
    return this.program.methods
      .createMarket(keys.id, params)
      .accountsStrict({
        admin,
        market: keys.market,
        authority: keys.authority,
        mint: keys.pool.mint,
        collateralVault: keys.collateralVault,
        tokenProgram: keys.pool.tokenProgram,
        systemProgram: SystemProgram.programId,
      })
      .instruction();
  }

  depositCollateral(owner: PublicKey, keys: ExchangeKeys, ownerToken: PublicKey, amount: Amount): Promise<TransactionInstruction> {
    return this.program.methods
      .depositCollateral(bn(amount))
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

  openPosition(owner: PublicKey, keys: ExchangeKeys, size: Amount, price: Amount): Promise<TransactionInstruction> {
    return this.program.methods
      .openPosition(bn(size), bn(price))
      .accountsStrict({ owner, market: keys.market, position: positionAddress(keys.market, owner) })
      .instruction();
  }

  /** Liquidates `owner` at `price`; a shortfall is drawn from the pool by CPI. */
  liquidate(liquidator: PublicKey, keys: ExchangeKeys, owner: PublicKey, price: Amount): Promise<TransactionInstruction> {
    const pool = keys.pool;
    return this.program.methods
      .liquidate(bn(price))
      .accountsStrict({
        liquidator,
        market: keys.market,
        position: positionAddress(keys.market, owner),
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
}
