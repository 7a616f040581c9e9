/** Addresses of every PDA of both programs, from the programs' seeds. */
import { PublicKey } from "@solana/web3.js";
import { BN } from "@anchor-lang/core";
import { getAssociatedTokenAddressSync } from "@solana/spl-token";

import {
  BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
  EXAMPLE_EXCHANGE_PROGRAM_ID,
  EXCHANGE_SEEDS,
  INSURANCE_POOL_PROGRAM_ID,
  SEEDS,
} from "./constants.js";
import { toU64 } from "./amount.js";

const find = (seeds: (Buffer | Uint8Array)[], program: PublicKey) =>
  PublicKey.findProgramAddressSync(seeds, program)[0];
const seed = (s: string) => Buffer.from(s);
const u64le = (n: number | bigint | BN | string, what: string) => toU64(n, what).toArrayLike(Buffer, "le", 8);

/** `["protocol"]`: the protocol singleton. */
export const protocolAddress = (programId = INSURANCE_POOL_PROGRAM_ID) => find([seed(SEEDS.protocol)], programId);
/** `["pool", market]`: a market's pool. */
export const poolAddress = (market: PublicKey, programId = INSURANCE_POOL_PROGRAM_ID) =>
  find([seed(SEEDS.pool), market.toBuffer()], programId);
/** `["vault", pool]`: the pool's token vault. */
export const vaultAddress = (pool: PublicKey, programId = INSURANCE_POOL_PROGRAM_ID) =>
  find([seed(SEEDS.vault), pool.toBuffer()], programId);
/** `["bonds", pool]`: the pool's claim-bond escrow. */
export const bondVaultAddress = (pool: PublicKey, programId = INSURANCE_POOL_PROGRAM_ID) =>
  find([seed(SEEDS.bondVault), pool.toBuffer()], programId);
/** `["exposure", pool]`: the pool's coverage book. */
export const exposureAddress = (pool: PublicKey, programId = INSURANCE_POOL_PROGRAM_ID) =>
  find([seed(SEEDS.exposure), pool.toBuffer()], programId);
/** `["underwriter", pool, owner]`: an underwriter's position. */
export const underwriterAddress = (pool: PublicKey, owner: PublicKey, programId = INSURANCE_POOL_PROGRAM_ID) =>
  find([seed(SEEDS.underwriter), pool.toBuffer(), owner.toBuffer()], programId);
/** `["member", pool, owner]`: a member's coverage. */
export const memberAddress = (pool: PublicKey, owner: PublicKey, programId = INSURANCE_POOL_PROGRAM_ID) =>
  find([seed(SEEDS.member), pool.toBuffer(), owner.toBuffer()], programId);
/** `["exchange", pool, exchangeAuthority]`: an exchange's registration. */
export const exchangeRegistrationAddress = (
  pool: PublicKey,
  exchangeAuthority: PublicKey,
  programId = INSURANCE_POOL_PROGRAM_ID,
) => find([seed(SEEDS.exchange), pool.toBuffer(), exchangeAuthority.toBuffer()], programId);
/**
 * `["claim", pool, claimant, id (u64 LE)]`: the claim `claimant` filed as its `id`-th
 * (from 0) in this pool; the next one's `id` is the member's `claimCount`.
 */
export const claimAddress = (
  pool: PublicKey,
  claimant: PublicKey,
  id: number | bigint | BN | string,
  programId = INSURANCE_POOL_PROGRAM_ID,
) => find([seed(SEEDS.claim), pool.toBuffer(), claimant.toBuffer(), u64le(id, "claim id")], programId);
/** `["vote", claim, voter]`: a vote record. */
export const voteAddress = (claim: PublicKey, voter: PublicKey, programId = INSURANCE_POOL_PROGRAM_ID) =>
  find([seed(SEEDS.vote), claim.toBuffer(), voter.toBuffer()], programId);

/**
 * `[programId]` under the upgradeable loader: a program's ProgramData account, which
 * names its upgrade authority (the only signer `initialize_protocol` accepts).
 */
export const programDataAddress = (programId: PublicKey = INSURANCE_POOL_PROGRAM_ID) =>
  PublicKey.findProgramAddressSync([programId.toBuffer()], BPF_LOADER_UPGRADEABLE_PROGRAM_ID)[0];

/**
 * `owner`'s associated token account of the pool's mint (under its token program):
 * the only account claim payouts (`payClaim`) and bond returns (`withdrawBond`) go to
 * (`NotAssociatedTokenAccount` otherwise).
 */
export const claimantTokenAddress = (keys: PoolKeys, owner: PublicKey) =>
  getAssociatedTokenAddressSync(keys.mint, owner, true, keys.tokenProgram);

/**
 * The protocol treasury's associated token account for the pool's mint: where the
 * clients send protocol fees (the program takes any token account of the mint owned by
 * the treasury).
 */
export const treasuryTokenAddress = (keys: Pick<PoolKeys, "mint" | "tokenProgram">, treasury: PublicKey) =>
  getAssociatedTokenAddressSync(keys.mint, treasury, true, keys.tokenProgram);

/** Every address of one market's pool. */
export interface PoolKeys {
  market: PublicKey;
  pool: PublicKey;
  vault: PublicKey;
  bondVault: PublicKey;
  exposure: PublicKey;
  mint: PublicKey;
  tokenProgram: PublicKey;
}

/**
 * Derives a market's pool addresses for `mint` under `tokenProgram` (of the program at
 * `programId`: the IDL's address unless the program is deployed elsewhere).
 */
export function poolKeys(
  market: PublicKey,
  mint: PublicKey,
  tokenProgram: PublicKey,
  programId = INSURANCE_POOL_PROGRAM_ID,
): PoolKeys {
  const pool = poolAddress(market, programId);
  return {
    market,
    pool,
    vault: vaultAddress(pool, programId),
    bondVault: bondVaultAddress(pool, programId),
    exposure: exposureAddress(pool, programId),
    mint,
    tokenProgram,
  };
}

/** Addresses of one example-exchange market and the pool insuring it. */
export interface ExchangeKeys {
  id: BN;
  market: PublicKey;
  authority: PublicKey;
  collateralVault: PublicKey;
  /** The market's oracle price account, `["price", market]`. */
  priceFeed: PublicKey;
  pool: PoolKeys;
}

/** Derives the example exchange's market `id` and its pool. */
export function exchangeKeys(id: number | bigint | BN | string, mint: PublicKey, tokenProgram: PublicKey): ExchangeKeys {
  const x = (seeds: (Buffer | Uint8Array)[]) => find(seeds, EXAMPLE_EXCHANGE_PROGRAM_ID);
  const market = x([seed(EXCHANGE_SEEDS.market), u64le(id, "market id")]);
  return {
    id: toU64(id, "market id"),
    market,
    authority: x([seed(EXCHANGE_SEEDS.authority), market.toBuffer()]),
    collateralVault: x([seed(EXCHANGE_SEEDS.collateral), market.toBuffer()]),
    priceFeed: x([seed(EXCHANGE_SEEDS.price), market.toBuffer()]),
    pool: poolKeys(market, mint, tokenProgram),
  };
}

/** `["position", market, owner]` of the example exchange. */
export const positionAddress = (market: PublicKey, owner: PublicKey) =>
  find([seed(EXCHANGE_SEEDS.position), market.toBuffer(), owner.toBuffer()], EXAMPLE_EXCHANGE_PROGRAM_ID);
