/**
 * The client without a node: a builder for every instruction of both IDLs, every
 * program error decodable by code and from logs, PDAs that match the IDL's seeds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { AnchorProvider, Wallet } from "@anchor-lang/core";
import { Connection, Keypair, PublicKey } from "@solana/web3.js";

import {
  decodeError,
  errorByCode,
  EXAMPLE_EXCHANGE_IDL,
  ExampleExchangeClient,
  INSURANCE_POOL_IDL,
  InsurancePoolClient,
  INSURANCE_POOL_PROGRAM_ID,
  poolKeys,
  protocolAddress,
} from "../src/index.js";

// Never contacted: builders and decoders are offline.
const provider = new AnchorProvider(new Connection("http://127.0.0.1:1"), new Wallet(Keypair.generate()), {});
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
type Raw = { instructions: { name: string }[]; errors?: { code: number; name: string; msg?: string }[]; address: string };

describe("client (offline)", () => {
  it("has a builder for every instruction of both programs", () => {
    const clients: [Raw, object][] = [
      [INSURANCE_POOL_IDL as unknown as Raw, new InsurancePoolClient(provider)],
      [EXAMPLE_EXCHANGE_IDL as unknown as Raw, new ExampleExchangeClient(provider)],
    ];
    for (const [idl, client] of clients) {
      for (const ix of idl.instructions) {
        const name = camel(ix.name);
        assert.equal(typeof (client as Record<string, unknown>)[name], "function", `no builder for ${ix.name}`);
      }
    }
    assert.equal((INSURANCE_POOL_IDL as unknown as Raw).instructions.length, 24);
  });

  it("builds instructions with the program id and the derived accounts", async () => {
    const client = new InsurancePoolClient(provider);
    const owner = Keypair.generate().publicKey;
    const keys = poolKeys(Keypair.generate().publicKey, Keypair.generate().publicKey, Keypair.generate().publicKey);
    const ix = await client.deposit(owner, keys, Keypair.generate().publicKey, 100, 0);
    assert.ok(ix.programId.equals(INSURANCE_POOL_PROGRAM_ID));
    assert.ok(ix.keys[1].pubkey.equals(protocolAddress()) && ix.keys[2].pubkey.equals(keys.pool));
    assert.ok(ix.keys.some((k) => k.pubkey.equals(keys.vault) && k.isWritable));
    assert.equal(ix.keys.filter((k) => k.isSigner).length, 1);
    assert.equal(new PublicKey((INSURANCE_POOL_IDL as unknown as Raw).address).toBase58(), INSURANCE_POOL_PROGRAM_ID.toBase58());
  });

  it("decodes every program error by code, from logs and from a raw instruction error", () => {
    const errors = (INSURANCE_POOL_IDL as unknown as Raw).errors ?? [];
    assert.ok(errors.length > 70);
    for (const e of errors) {
      assert.deepEqual(errorByCode(e.code), { code: e.code, name: e.name, message: e.msg ?? e.name });
    }
    const first = errors[0];
    assert.equal(decodeError({ InstructionError: [0, { Custom: first.code }] })?.name, first.name);
    const logs = [
      `Program ${INSURANCE_POOL_PROGRAM_ID.toBase58()} invoke [1]`,
      `Program log: AnchorError thrown in programs/insurance_pool/src/x.rs:1. Error Code: ${first.name}. Error Number: ${first.code}. Error Message: ${first.msg}.`,
      `Program ${INSURANCE_POOL_PROGRAM_ID.toBase58()} failed: custom program error: 0x${first.code.toString(16)}`,
    ];
    assert.equal(decodeError({ logs })?.name, first.name);
    assert.equal(decodeError({ transactionMessage: `custom program error: 0x${first.code.toString(16)}` })?.code, first.code);
    // Anchor's own account-check errors decode too; anything else is not a program error.
    assert.match(errorByCode(2001)?.message ?? "", /has one/i);
    assert.equal(decodeError(new Error("network down")), null);
  });
});
