import { PublicKey } from "@solana/web3.js";

/** The insurance pool program (see `Anchor.toml`). */
export const INSURANCE_POOL_PROGRAM_ID = new PublicKey("GzN2QL4myuf5a7EUsrJ8ntntDocbvjVo5UK5qnNyYbkU");
/** The example exchange that covers liquidation shortfalls by CPI. */
export const EXAMPLE_EXCHANGE_PROGRAM_ID = new PublicKey("3ZYtpeDgC32Q2VSkqVpoET3MhVG8ezqX3jNzbPaCKYBe");

/** The upgradeable BPF loader (owner of a deployed program's ProgramData). */
export const BPF_LOADER_UPGRADEABLE_PROGRAM_ID = new PublicKey("BPFLoaderUpgradeab1e11111111111111111111111");

/** PDA seeds (`programs/insurance_pool/src/constants.rs`). */
export const SEEDS = {
  protocol: "protocol",
  pool: "pool",
  vault: "vault",
  underwriter: "underwriter",
  member: "member",
  exchange: "exchange",
  exposure: "exposure",
  bondVault: "bonds",
  claim: "claim",
  vote: "vote",
} as const;

/** Seeds of the example exchange's accounts. */
export const EXCHANGE_SEEDS = {
  market: "market",
  authority: "authority",
  collateral: "collateral",
  position: "position",
  price: "price",
} as const;

/** Pause bits for `setProtocolPause` / `setPoolPause`. */
export const PAUSE = {
  deposit: 1 << 0,
  withdraw: 1 << 1,
  premium: 1 << 2,
  shortfall: 1 << 3,
  claims: 1 << 4,
  all: 0b11111,
} as const;

/** 100 % in basis points. */
export const BPS = 10_000;
