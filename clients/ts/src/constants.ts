import { PublicKey } from "@solana/web3.js";
import { EXAMPLE_EXCHANGE_IDL } from "./idl/example_exchange.js";
import { INSURANCE_POOL_IDL } from "./idl/insurance_pool.js";

/**
 * Constants read from the programs' IDLs (their `#[constant]`s and `address`), so
 * nothing here is a hand-kept copy of the Rust sources.
 */
type IdlConstants = { address: string; constants?: { name: string; type: unknown; value: string }[] };

/** `PROTOCOL_SEED`, `protocolSeed`: the same name (the IDL's TS type is camelCased). */
const normalise = (name: string) => name.replace(/_/g, "").toLowerCase();

function constantOf(idl: IdlConstants, name: string): string {
  const found = (idl.constants ?? []).find((c) => normalise(c.name) === normalise(name));
  if (!found) throw new Error(`constant ${name} is not in the IDL of ${idl.address}`);
  return found.value;
}

const pool = INSURANCE_POOL_IDL as unknown as IdlConstants;
const exchange = EXAMPLE_EXCHANGE_IDL as unknown as IdlConstants;

/** A `bytes` constant (`"[112, 114, ...]"` in the IDL) as the UTF-8 seed string. */
const seedOf = (idl: IdlConstants, name: string) =>
  Buffer.from(JSON.parse(constantOf(idl, name)) as number[]).toString("utf8");
/** An integer constant. */
const numberOf = (idl: IdlConstants, name: string) => Number(constantOf(idl, name));

/** The insurance pool program (the IDL's `address`, as in `Anchor.toml`). */
export const INSURANCE_POOL_PROGRAM_ID = new PublicKey(pool.address);
/** The example exchange that covers liquidation shortfalls by CPI. */
export const EXAMPLE_EXCHANGE_PROGRAM_ID = new PublicKey(exchange.address);

/** The upgradeable BPF loader (owner of a deployed program's ProgramData). */
export const BPF_LOADER_UPGRADEABLE_PROGRAM_ID = new PublicKey("BPFLoaderUpgradeab1e11111111111111111111111");

/** PDA seeds (the program's `*_SEED` constants). */
export const SEEDS = {
  protocol: seedOf(pool, "PROTOCOL_SEED"),
  pool: seedOf(pool, "POOL_SEED"),
  vault: seedOf(pool, "VAULT_SEED"),
  underwriter: seedOf(pool, "UNDERWRITER_SEED"),
  member: seedOf(pool, "MEMBER_SEED"),
  exchange: seedOf(pool, "EXCHANGE_SEED"),
  exposure: seedOf(pool, "EXPOSURE_SEED"),
  bondVault: seedOf(pool, "BOND_VAULT_SEED"),
  claim: seedOf(pool, "CLAIM_SEED"),
  vote: seedOf(pool, "VOTE_SEED"),
} as const;

/** Seeds of the example exchange's accounts (its `seeds` constants). */
export const EXCHANGE_SEEDS = {
  market: seedOf(exchange, "MARKET"),
  authority: seedOf(exchange, "AUTHORITY"),
  collateral: seedOf(exchange, "COLLATERAL"),
  position: seedOf(exchange, "POSITION"),
  price: seedOf(exchange, "PRICE"),
} as const;

/** Pause bits for `setProtocolPause` / `setPoolPause` (the program's `pause` constants). */
export const PAUSE = {
  deposit: numberOf(pool, "DEPOSIT"),
  withdraw: numberOf(pool, "WITHDRAW"),
  premium: numberOf(pool, "PREMIUM"),
  shortfall: numberOf(pool, "SHORTFALL"),
  claims: numberOf(pool, "CLAIMS"),
  all: numberOf(pool, "ALL"),
} as const;

/** 100 % in basis points (the program's `BPS`). */
export const BPS = numberOf(pool, "BPS");
/** The share price's virtual offset (`VIRTUAL_SHARES`, `VIRTUAL_ASSETS`): shares and capital every conversion adds. */
export const VIRTUAL_SHARES = numberOf(pool, "VIRTUAL_SHARES");
export const VIRTUAL_ASSETS = numberOf(pool, "VIRTUAL_ASSETS");
