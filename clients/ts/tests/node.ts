/**
 * What the JSON-RPC suites share: the node (LOCALNET_URL, set by `npm test`, which
 * starts and stops it), the deployer (LOCALNET_DEPLOYER: the keypair file given to the
 * node as `--upgrade-authority`, payer of every transaction), sending, refusals with
 * their decoded error, and surfpool's clock control.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { AnchorProvider, Wallet } from "@anchor-lang/core";
import { getAccount } from "@solana/spl-token";
import {
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  SYSVAR_CLOCK_PUBKEY,
  Transaction,
  type TransactionInstruction,
} from "@solana/web3.js";

import { decodeError } from "../src/index.js";

export const url = process.env.LOCALNET_URL;
if (!url) throw new Error("LOCALNET_URL is not set: run `npm test`, which starts the local node");
export const deployerFile = process.env.LOCALNET_DEPLOYER;
if (!deployerFile) {
  throw new Error("LOCALNET_DEPLOYER is not set: the keypair file given to localnet as --upgrade-authority");
}

export const connection = new Connection(url, { commitment: "confirmed", wsEndpoint: process.env.LOCALNET_WS });
/** The deployer: the programs' upgrade authority, payer of every transaction. */
export const payer = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(deployerFile, "utf8")) as number[]));
export const provider = new AnchorProvider(connection, new Wallet(payer), { commitment: "confirmed" });

/** Sends `ixs` signed by the payer and `signers`; returns the transaction's logs. */
export async function send(ixs: TransactionInstruction[], signers: Keypair[] = []): Promise<string[]> {
  const signature = await provider.sendAndConfirm(new Transaction().add(...ixs), signers);
  const tx = await connection.getTransaction(signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
  return tx?.meta?.logMessages ?? [];
}

/** Sends `ixs`, expects the program error `name` (of `program`), and checks `watched` did not change. */
export async function refused(
  ixs: TransactionInstruction[],
  signers: Keypair[],
  name: string,
  watched: PublicKey[],
  program: string = "insurancePool",
) {
  const before = await Promise.all(watched.map((k) => connection.getAccountInfo(k)));
  let error: unknown;
  try {
    await provider.sendAndConfirm(new Transaction().add(...ixs), signers);
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${name}, but the transaction succeeded`);
  const decoded = decodeError(error, { instructions: ixs });
  assert.equal(decoded?.name, name, `expected ${name}, got ${JSON.stringify(decoded)} from ${error}`);
  assert.equal(decoded?.program, program, `${name} raised by ${decoded?.program}`);
  const after = await Promise.all(watched.map((k) => connection.getAccountInfo(k)));
  after.forEach((a, i) => assert.deepEqual(a?.data, before[i]?.data, `${watched[i].toBase58()} changed`));
}

export async function balance(account: PublicKey): Promise<bigint> {
  return (await getAccount(connection, account)).amount;
}

/** The node's clock (unix seconds). */
export async function now(): Promise<number> {
  const info = await connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY);
  return Number(info!.data.readBigInt64LE(32));
}

/** Moves the node's clock to unix time `target` (surfpool's `surfnet_timeTravel`). */
export async function warpTo(target: number) {
  const res = await fetch(url!, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "surfnet_timeTravel", params: [{ absoluteTimestamp: target * 1000 }] }),
  });
  const body = (await res.json()) as { error?: unknown };
  assert.equal(body.error, undefined, `timeTravel: ${JSON.stringify(body.error)}`);
  assert.ok((await now()) >= target - 1);
}

/** Moves the node's clock forward by `seconds`. */
export async function warp(seconds: number) {
  await warpTo((await now()) + seconds);
}

export async function funded(): Promise<Keypair> {
  const k = Keypair.generate();
  const sig = await connection.requestAirdrop(k.publicKey, 10 * LAMPORTS_PER_SOL);
  await connection.confirmTransaction({ signature: sig, ...(await connection.getLatestBlockhash()) }, "confirmed");
  return k;
}

