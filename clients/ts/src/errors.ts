/**
 * Decoding of program errors: ours (from the IDLs), Anchor's own, and raw codes, named
 * by the program that raised them. Both programs number their errors from 6000, so a
 * bare code is ambiguous: the failing program is read from the transaction's logs
 * (the innermost `Program <id> failed` line, CPIs included) or, without logs, from the
 * failing instruction's index in the transaction.
 */
import { AnchorError, LangErrorCode, LangErrorMessage } from "@anchor-lang/core";
import { PublicKey } from "@solana/web3.js";

import { EXAMPLE_EXCHANGE_IDL } from "./idl/example_exchange.js";
import { INSURANCE_POOL_IDL } from "./idl/insurance_pool.js";

/** The programs whose errors this client knows. */
export type KnownProgram = "insurancePool" | "exampleExchange";

/** A decoded program error. */
export interface DecodedError {
  /** Numeric code (6000+ for program errors, Anchor's below). */
  code: number;
  /** Error name, e.g. `WithdrawalCooldownActive` (Anchor's `ConstraintHasOne`, ...). */
  name: string;
  /** The human message. */
  message: string;
  /**
   * The program that raised it: one of ours by name, another program's id (base58),
   * or null when nothing tells (a bare code, decoded as the insurance pool's).
   */
  program: KnownProgram | string | null;
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

type IdlError = { code: number; name: string; msg?: string };
const table = (idl: unknown) =>
  new Map(
    (((idl as { errors?: IdlError[] }).errors ?? []) as IdlError[]).map((e) => [
      e.code,
      { name: pascal(e.name), message: e.msg ?? e.name },
    ]),
  );
const PROGRAMS: Record<KnownProgram, { id: string; errors: Map<number, { name: string; message: string }> }> = {
  insurancePool: { id: (INSURANCE_POOL_IDL as unknown as { address: string }).address, errors: table(INSURANCE_POOL_IDL) },
  exampleExchange: { id: (EXAMPLE_EXCHANGE_IDL as unknown as { address: string }).address, errors: table(EXAMPLE_EXCHANGE_IDL) },
};

/** Anchor's own errors (below 6000) by code: `AccountNotInitialized`, `ConstraintHasOne`, ... */
const LANG_NAMES = new Map<number, string>(Object.entries(LangErrorCode).map(([name, code]) => [code as number, name]));

/** Our name of a program id, or the id itself. */
function programName(id: PublicKey | string): KnownProgram | string {
  const key = typeof id === "string" ? id : id.toBase58();
  for (const [name, p] of Object.entries(PROGRAMS)) if (p.id === key) return name as KnownProgram;
  return key;
}

/**
 * Looks up `code` in `program`'s errors (the insurance pool's by default), then
 * Anchor's own. `program` may be a known name, a program id, or null (unknown: the
 * insurance pool's table). Null if the code means nothing there.
 */
export function errorByCode(code: number, program: KnownProgram | PublicKey | string | null = "insurancePool"): DecodedError | null {
  const name = program === null ? null : typeof program === "string" && program in PROGRAMS ? program : programName(program);
  const known = name === null ? PROGRAMS.insurancePool : PROGRAMS[name as KnownProgram];
  const own = known?.errors.get(code);
  if (own) return { code, ...own, program: name };
  const lang = LangErrorMessage.get(code);
  return lang ? { code, name: LANG_NAMES.get(code) ?? `Anchor${code}`, message: lang, program: name } : null;
}

/**
 * The program that failed, from a transaction's logs: the innermost `Program <id>
 * failed` (a CPI's failure is logged by the callee first, then by each caller). Null if
 * the logs show no failure.
 */
export function failingProgram(logs: string[]): PublicKey | null {
  return failure(logs)?.program ?? null;
}

/** The innermost failure in `logs`: its program and, for a custom error, its code. */
function failure(logs: string[]): { program: PublicKey; code?: number } | null {
  for (const line of logs) {
    const m = /^Program (\w+) failed: (.*)$/.exec(line);
    if (m) {
      let program: PublicKey;
      try {
        program = new PublicKey(m[1]);
      } catch {
        return null;
      }
      const custom = /custom program error: 0x([0-9a-f]+)/i.exec(m[2]);
      return { program, code: custom ? parseInt(custom[1], 16) : undefined };
    }
  }
  return null;
}

/** What a decoded send can be told about the transaction it came from. */
export interface ErrorContext {
  /** The transaction's instructions: a failing index names its program. */
  instructions?: { programId: PublicKey }[];
}

/**
 * Decodes whatever a failed send threw: an `AnchorError` (the Anchor client's own),
 * an error carrying transaction logs (web3.js `SendTransactionError`, simulation
 * results), or a `{ InstructionError: [i, { Custom: n }] }` value (with `context`, the
 * index `i` names the program). Null if it is not a program error.
 */
export function decodeError(err: unknown, context: ErrorContext = {}): DecodedError | null {
  const e = err as {
    logs?: string[];
    transactionLogs?: string[];
    transactionMessage?: string;
    InstructionError?: unknown;
    err?: unknown;
  };
  const logs = err instanceof AnchorError ? err.logs : (e?.logs ?? e?.transactionLogs);
  const failed = Array.isArray(logs) ? failure(logs) : null;
  const failing = failed?.program ?? null;
  // 1. Anchor's own log line names the error; the logs name the program.
  const anchor = err instanceof AnchorError ? err : Array.isArray(logs) ? AnchorError.parse(logs) : null;
  if (anchor) {
    const code = anchor.error.errorCode.number;
    const program: PublicKey | null = failing ?? anchor.program ?? null;
    const known = program ? errorByCode(code, program) : null;
    return {
      code,
      name: known?.name ?? anchor.error.errorCode.code,
      message: known?.message ?? anchor.error.errorMessage,
      program: program ? programName(program) : null,
    };
  }
  // 2. A raw custom code: from an InstructionError value, or a message.
  const instructionError = (e?.InstructionError ??
    (e?.err as { InstructionError?: unknown } | undefined)?.InstructionError) as [number, { Custom?: number } | string] | undefined;
  const message = String(e?.transactionMessage ?? (err as Error)?.message ?? "");
  let custom = typeof instructionError?.[1] === "object" ? instructionError[1].Custom : failed?.code;
  let index = instructionError?.[0];
  if (custom === undefined) {
    const m = /custom program error: 0x([0-9a-f]+)/i.exec(message);
    if (m) custom = parseInt(m[1], 16);
    const i = /Error processing Instruction (\d+)/i.exec(message);
    if (i) index = parseInt(i[1], 10);
  }
  if (custom === undefined) return null;
  const program = failing ?? (index !== undefined ? (context.instructions?.[index]?.programId ?? null) : null);
  return errorByCode(custom, program);
}
