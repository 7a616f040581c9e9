/** The cluster the app talks to, and what the pages read from it. */
import { AnchorProvider, BN } from "@anchor-lang/core";
import { Connection, Keypair, PublicKey, SYSVAR_CLOCK_PUBKEY, type Transaction, type VersionedTransaction } from "@solana/web3.js";
import { decodeError, formatAmount, InsurancePoolClient, type PoolKeys } from "@insurance-pool/client";

import type { ConnectedWallet } from "./wallet";

export interface Cluster {
  name: "localnet" | "devnet" | "custom";
  url: string;
  /** WebSocket endpoint for confirmations (default: web3.js's, the RPC port + 1). */
  ws?: string;
}

/** The cluster: `?rpc=<url>` (what scripts/app.sh and the browser tests pass), the saved choice, or localnet. */
export function initialCluster(): Cluster {
  const query = new URLSearchParams(window.location.search);
  const rpc = query.get("rpc");
  const ws = query.get("ws") ?? undefined;
  if (rpc) return { name: rpc.includes("127.0.0.1") || rpc.includes("localhost") ? "localnet" : "custom", url: rpc, ws };
  const saved = window.localStorage.getItem("cluster");
  if (saved) return JSON.parse(saved) as Cluster;
  return { name: "localnet", url: "http://127.0.0.1:8899" };
}

export const CLUSTERS: Cluster[] = [
  { name: "localnet", url: "http://127.0.0.1:8899" },
  { name: "devnet", url: "https://api.devnet.solana.com" },
];

/** The wallet-standard chain id of a cluster (a custom URL by what it names). */
export function chainId(c: Cluster): string {
  const url = c.url.toLowerCase();
  if (c.name === "devnet" || url.includes("devnet")) return "solana:devnet";
  if (url.includes("testnet")) return "solana:testnet";
  if (url.includes("mainnet")) return "solana:mainnet";
  return "solana:localnet";
}

/** An explorer link for a transaction on `cluster`. */
export function explorerTx(signature: string, cluster: Cluster): string {
  const q = cluster.name === "devnet" ? "cluster=devnet" : `cluster=custom&customUrl=${encodeURIComponent(cluster.url)}`;
  return `https://explorer.solana.com/tx/${signature}?${q}`;
}

/** A wallet for reads only (no wallet connected): signing refuses. */
const readOnly = (): ConnectedWallet => ({
  name: "read-only",
  publicKey: Keypair.generate().publicKey,
  signTransaction: <T extends Transaction | VersionedTransaction>(): Promise<T> => Promise.reject(new Error("connect a wallet first")),
  signAllTransactions: <T extends Transaction | VersionedTransaction>(): Promise<T[]> => Promise.reject(new Error("connect a wallet first")),
});

export function makeClient(cluster: Cluster, wallet: ConnectedWallet | null): InsurancePoolClient {
  const connection = new Connection(cluster.url, { commitment: "confirmed", wsEndpoint: cluster.ws });
  return new InsurancePoolClient(new AnchorProvider(connection, wallet ?? readOnly(), { commitment: "confirmed" }));
}

/**
 * The node's clock (unix seconds): the time the program's rules see. Never the browser's
 * clock, which can be hours or (on a local node) months away from it.
 */
export async function chainNow(client: InsurancePoolClient): Promise<number> {
  const info = await client.provider.connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY);
  if (!info) throw new Error("the node returned no clock sysvar");
  return Number(info.data.readBigInt64LE(32));
}

/** A program error by name and message (the client's decodeError), or the raw message. */
export function describeError(e: unknown): string {
  const d = decodeError(e);
  if (d) return `${d.name}: ${d.message}`;
  return e instanceof Error ? e.message : String(e);
}

export const units = (x: BN | number | bigint, decimals: number) => formatAmount(BN.isBN(x) ? x.toString() : x, decimals);
export const bps = (x: BN | number) => `${(Number(x.toString()) / 100).toFixed(2)} %`;
export const short = (k: PublicKey) => `${k.toBase58().slice(0, 4)}…${k.toBase58().slice(-4)}`;

/** Pause bits as the program defines them (also in the IDL's constants). */
export const PAUSE_DEPOSIT = 1;

export interface PoolRow {
  address: PublicKey;
  keys: PoolKeys;
  // The decoded Pool account (camelCase fields of the IDL).
  account: Awaited<ReturnType<InsurancePoolClient["fetchPool"]>>;
}

/** Every pool of the program. */
export async function allPools(client: InsurancePoolClient): Promise<PoolRow[]> {
  const rows = await client.program.account.pool.all();
  return rows.map((r) => ({
    address: r.publicKey,
    account: r.account,
    keys: client.poolKeys(r.account.market, r.account.mint, r.account.tokenProgram),
  }));
}

/** A one-word claim status (`voting`, `approved`, ...). */
export const statusOf = (status: object) => Object.keys(status)[0] ?? "?";
