import { useEffect, useState } from "react";

import { activeExposure } from "@insurance-pool/client";

import { allPools, bps, chainNow, short, units, type PoolRow } from "../chain";
import type { PageProps } from "../App";

const YEAR = 365 * 86_400;

/**
 * Every market's pool: capital, free capital, utilisation against the cap, the
 * premium and volume rates, an estimated underwriter yield, losses covered, pauses and
 * the mint's freeze authority.
 */
export function PoolsPage({ client, tick }: PageProps) {
  const [rows, setRows] = useState<(PoolRow & { exposure: bigint })[] | null>(null);
  const [protocolPaused, setProtocolPaused] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    (async () => {
      const [pools, protocol, now] = await Promise.all([allPools(client), client.fetchProtocol(), chainNow(client)]);
      const books = await Promise.all(pools.map((p) => client.fetchExposure(p.keys)));
      setProtocolPaused(protocol.paused);
      setRows(pools.map((p, i) => ({ ...p, exposure: BigInt(activeExposure(books[i].book, now).toString()) })));
    })().catch((e) => setError(String(e)));
  }, [client, tick]);
  if (error) return <section className="error">{error}</section>;
  if (!rows) return <section>Loading pools…</section>;
  return (
    <section>
      <h2>Pools</h2>
      <table data-testid="pools">
        <thead>
          <tr>
            <th>market</th>
            <th>capital</th>
            <th>free capital</th>
            <th>utilisation / cap</th>
            <th>premium rate</th>
            <th>volume rate</th>
            <th>est. yield</th>
            <th>losses covered</th>
            <th>state</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ address, account: p, keys, exposure }) => {
            const d = p.mintDecimals;
            const capital = BigInt(p.capital.toString());
            const free = capital - BigInt(p.reservedForClaims.toString());
            const utilisation = free > 0n ? Number((exposure * 10_000n) / free) : 0;
            // Premium income at the current rate on the current cover, per year of capital.
            const term = Number(p.params.coverageDuration.toString());
            const estYield = capital > 0n ? (Number(p.rateBps.toString()) / 10_000) * (Number(exposure) / Number(capital)) * (YEAR / term) : 0;
            return (
              <tr key={address.toBase58()} data-testid={`pool-${keys.market.toBase58()}`}>
                <td>
                  <a href={`#/pool/${keys.market.toBase58()}`}>{short(keys.market)}</a> · <a href={`#/claims/${keys.market.toBase58()}`}>claims</a>
                </td>
                <td>{units(p.capital, d)}</td>
                <td>{units(free, d)}</td>
                <td>
                  {bps(utilisation)} / {bps(p.params.maxExposureBps)}
                </td>
                <td>{bps(p.rateBps)}</td>
                <td>{bps(p.volumeRateBps)}</td>
                <td>{(estYield * 100).toFixed(2)} %</td>
                <td>
                  {units(p.lossStats.totalCovered, d)} ({p.lossStats.count.toString()})
                </td>
                <td>
                  {(p.paused | protocolPaused) !== 0 ? <span className="warn">paused ({p.paused | protocolPaused})</span> : "open"}
                  {p.mintHasFreezeAuthority !== 0 && <span className="warn"> · mint can freeze the vault</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
