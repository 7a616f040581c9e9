import { useEffect, useMemo, useState } from "react";

import { PublicKey, Transaction, type TransactionInstruction } from "@solana/web3.js";

import { chainId, CLUSTERS, describeError, explorerTx, initialCluster, makeClient, type Cluster } from "./chain";
import { ClaimsPage } from "./pages/Claims";
import { PoolPage } from "./pages/Pool";
import { PoolsPage } from "./pages/Pools";
import { connect, solanaWallets, watchWallets, type ConnectedWallet } from "./wallet";
import type { InsurancePoolClient } from "@insurance-pool/client";

/** What every page gets: the client, the wallet, a clock tick, and `send`. */
export interface PageProps {
  client: InsurancePoolClient;
  wallet: ConnectedWallet | null;
  tick: number;
  send: (label: string, build: () => Promise<TransactionInstruction[]>) => Promise<boolean>;
}

type Status = { kind: "ok"; label: string; signature: string } | { kind: "error"; label: string; message: string } | null;

function route(): { page: "pools" } | { page: "pool" | "claims"; market: PublicKey } {
  const [, page, market] = window.location.hash.split("/");
  try {
    if ((page === "pool" || page === "claims") && market) return { page, market: new PublicKey(market) };
  } catch {
    /* a malformed address: the pools list */
  }
  return { page: "pools" };
}

export function App() {
  const [cluster, setCluster] = useState<Cluster>(initialCluster);
  const [wallets, setWallets] = useState(solanaWallets);
  const [wallet, setWallet] = useState<ConnectedWallet | null>(null);
  const [where, setWhere] = useState(route);
  const [tick, setTick] = useState(0);
  const [status, setStatus] = useState<Status>(null);
  const client = useMemo(() => makeClient(cluster, wallet), [cluster, wallet]);

  useEffect(() => watchWallets(() => setWallets(solanaWallets())), []);
  useEffect(() => {
    const onHash = () => setWhere(route());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  // Balances, countdowns and claims refresh every two seconds.
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 2000);
    return () => clearInterval(t);
  }, []);

  const send: PageProps["send"] = async (label, build) => {
    setStatus(null);
    try {
      const ixs = await build();
      const signature = await client.provider.sendAndConfirm!(new Transaction().add(...ixs));
      setStatus({ kind: "ok", label, signature });
      setTick((n) => n + 1);
      return true;
    } catch (e) {
      setStatus({ kind: "error", label, message: describeError(e) });
      return false;
    }
  };

  const chooseCluster = (c: Cluster) => {
    window.localStorage.setItem("cluster", JSON.stringify(c));
    setCluster(c);
  };

  const props: PageProps = { client, wallet, tick, send };
  return (
    <>
      <header>
        <a href="#/pools">Insurance Pool</a>
        <span className="spacer" />
        <select
          data-testid="cluster"
          value={cluster.name === "custom" ? "custom" : cluster.name}
          onChange={(e) => {
            const c = CLUSTERS.find((x) => x.name === e.target.value);
            if (c) chooseCluster(c);
            else {
              const url = window.prompt("RPC URL", cluster.url);
              if (url) chooseCluster({ name: "custom", url });
            }
          }}
        >
          {CLUSTERS.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
          <option value="custom">custom URL…</option>
        </select>
        {wallet ? (
          <span data-testid="wallet">
            {wallet.name}: {wallet.publicKey.toBase58().slice(0, 8)}… <button onClick={() => setWallet(null)}>Disconnect</button>
          </span>
        ) : wallets.length === 0 ? (
          <span data-testid="no-wallet">No wallet found (Phantom, Solflare, Backpack)</span>
        ) : (
          wallets.map((w) => (
            <button key={w.name} data-testid={`connect-${w.name}`} onClick={() => connect(w, chainId(cluster)).then(setWallet, (e) => setStatus({ kind: "error", label: "connect", message: describeError(e) }))}>
              Connect {w.name}
            </button>
          ))
        )}
      </header>
      <main>
        {status?.kind === "ok" && (
          <div className="ok" data-testid="tx">
            {status.label}: confirmed{" "}
            <a href={explorerTx(status.signature, cluster)} target="_blank" rel="noreferrer">
              {status.signature.slice(0, 16)}…
            </a>
          </div>
        )}
        {status?.kind === "error" && (
          <div className="error" data-testid="error">
            {status.label} refused: {status.message}
          </div>
        )}
        {where.page === "pools" && <PoolsPage {...props} />}
        {where.page === "pool" && <PoolPage {...props} market={where.market} />}
        {where.page === "claims" && <ClaimsPage {...props} market={where.market} />}
      </main>
    </>
  );
}
