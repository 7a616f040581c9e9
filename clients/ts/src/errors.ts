/** Decoding of program errors: ours (from the IDL), Anchor's own, and raw codes. */
import { AnchorError, LangErrorMessage } from "@anchor-lang/core";

import { EXAMPLE_EXCHANGE_IDL } from "./idl/example_exchange.js";
import { INSURANCE_POOL_IDL } from "./idl/insurance_pool.js";

/** A decoded program error. */
export interface DecodedError {
  /** Numeric code (6000+ for program errors, Anchor's below). */
  code: number;
  /** Error name, e.g. `WithdrawalCooldownActive` (Anchor's `ConstraintHasOne`, ...). */
  name: string;
  /** The human message. */
  message: string;
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Error tables by program: code → (name, message). */
type IdlError = { code: number; name: string; msg?: string };
const TABLES: Map<number, { name: string; message: string }>[] = [INSURANCE_POOL_IDL, EXAMPLE_EXCHANGE_IDL].map(
  (idl) =>
    new Map(
      (((idl as { errors?: IdlError[] }).errors ?? []) as IdlError[]).map((e) => [
        e.code,
        { name: pascal(e.name), message: e.msg ?? e.name },
      ]),
    ),
);

/** Looks up `code` in the insurance pool's errors, then the exchange's, then Anchor's. */
export function errorByCode(code: number, program: "insurancePool" | "exampleExchange" = "insurancePool"): DecodedError | null {
  const table = TABLES[program === "insurancePool" ? 0 : 1];
  const own = table.get(code);
  if (own) return { code, ...own };
  const lang = LangErrorMessage.get(code);
  return lang ? { code, name: `Anchor${code}`, message: lang } : null;
}

/**
 * Decodes whatever a failed send threw: an `AnchorError` (the Anchor client's own),
 * an error carrying transaction logs (web3.js `SendTransactionError`, simulation
 * results), or a `{ InstructionError: [i, { Custom: n }] }` value. Null if it is not a
 * program error.
 */
export function decodeError(err: unknown): DecodedError | null {
  if (err instanceof AnchorError) {
    return { code: err.error.errorCode.number, name: err.error.errorCode.code, message: err.error.errorMessage };
  }
  const e = err as { logs?: string[]; transactionLogs?: string[]; transactionMessage?: string; InstructionError?: unknown };
  const logs = e?.logs ?? e?.transactionLogs;
  if (Array.isArray(logs)) {
    const parsed = AnchorError.parse(logs);
    if (parsed) return decodeError(parsed);
  }
  const custom =
    (e?.InstructionError as [number, { Custom?: number }] | undefined)?.[1]?.Custom ??
    (() => {
      const m = /custom program error: 0x([0-9a-f]+)/i.exec(String(e?.transactionMessage ?? (err as Error)?.message ?? ""));
      return m ? parseInt(m[1], 16) : undefined;
    })();
  return custom === undefined ? null : errorByCode(custom);
}
