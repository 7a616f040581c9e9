/**
 * Amounts: the program's integers are u64/i64 (token amounts, times) and u128 (share
 * amounts), beyond what a JavaScript `number` holds exactly (2^53 - 1). Every helper accepts `BN`, `bigint`, a decimal string or a
 * `number`, and refuses (throws a `RangeError`) rather than round: a `number` that is
 * not a safe integer (above `Number.MAX_SAFE_INTEGER`, fractional, NaN), a malformed
 * string, or a value outside the target type's range.
 */
import { BN } from "@anchor-lang/core";

/** An integer amount: BN, bigint, decimal string, or a safe-integer number. */
export type Amount = BN | bigint | number | string;

const U64_MAX = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** `x` as an exact bigint; throws on anything that would lose precision. */
export function toBigInt(x: Amount, what = "amount"): bigint {
  if (typeof x === "bigint") return x;
  if (typeof x === "number") {
    if (!Number.isSafeInteger(x)) {
      throw new RangeError(
        `${what}: ${x} is not a safe integer (|x| <= ${Number.MAX_SAFE_INTEGER}): pass a bigint, BN or decimal string`,
      );
    }
    return BigInt(x);
  }
  if (typeof x === "string") {
    if (!/^-?\d+$/.test(x.trim())) throw new RangeError(`${what}: "${x}" is not a decimal integer`);
    return BigInt(x.trim());
  }
  if (BN.isBN(x)) return BigInt((x as BN).toString());
  throw new TypeError(`${what}: expected BN, bigint, number or string, got ${typeof x}`);
}

function inRange(x: Amount, what: string, min: bigint, max: bigint, type: string): BN {
  const v = toBigInt(x, what);
  if (v < min || v > max) throw new RangeError(`${what}: ${v} is outside the ${type} range [${min}, ${max}]`);
  return new BN(v.toString());
}

/** `x` as a BN in the u64 range. */
export const toU64 = (x: Amount, what = "amount"): BN => inRange(x, what, 0n, U64_MAX, "u64");
/** `x` as a BN in the u128 range (share amounts: `min_shares`, `request_withdrawal`'s shares). */
export const toU128 = (x: Amount, what = "shares"): BN => inRange(x, what, 0n, U128_MAX, "u128");
/** `x` as a BN in the i64 range (timestamps, durations). */
export const toI64 = (x: Amount, what = "value"): BN => inRange(x, what, I64_MIN, I64_MAX, "i64");

/**
 * A u64 or u128 read from the chain (BN) as a `number`, only when exact; throws above
 * `Number.MAX_SAFE_INTEGER` (use `toBigInt` for those).
 */
export function toSafeNumber(x: Amount, what = "amount"): number {
  const v = toBigInt(x, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`${what}: ${v} does not fit a number exactly: use toBigInt`);
  }
  return Number(v);
}

/**
 * Base units of `text`, an amount in token units (`"1500.25"`) of a mint with
 * `decimals`, exactly (`sdk::units::parse_amount`): digits with at most one `.`; more
 * fractional digits than the mint has, or more than a u64, are refused, never rounded.
 */
export function parseAmount(text: string, decimals: number): BN {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[1] === "" && (m[2] ?? "") === "")) throw new RangeError(`"${text}" is not an amount (digits, one optional ".")`);
  const frac = (m[2] ?? "").replace(/0+$/, "");
  if (frac.length > decimals) throw new RangeError(`"${text}" has more than the mint's ${decimals} decimals`);
  const units = BigInt(m[1] || "0") * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
  return toU64(units, "amount");
}

/** `units` base units in token units of a mint with `decimals`, without trailing zeros. */
export function formatAmount(units: Amount, decimals: number): string {
  const v = toBigInt(toU128(units, "amount")).toString().padStart(decimals + 1, "0");
  if (decimals === 0) return v;
  const whole = v.slice(0, v.length - decimals);
  const frac = v.slice(v.length - decimals).replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole;
}
