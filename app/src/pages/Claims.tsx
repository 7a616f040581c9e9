import { useEffect, useState } from "react";

import { BN } from "@anchor-lang/core";
import { getAssociatedTokenAddressSync } from "@solana/spl-token";
import type { PublicKey } from "@solana/web3.js";
import { parseAmount, poolAddress } from "@insurance-pool/client";

import { bps, chainNow, describeError, PAUSE_DEPOSIT, short, statusOf, units } from "../chain";
import type { PageProps } from "../App";

type ClaimRow = { publicKey: PublicKey; account: Awaited<ReturnType<PageProps["client"]["fetchClaim"]>> };
type Pool = Awaited<ReturnType<PageProps["client"]["fetchPool"]>>;

/** SHA-256 of a file, computed in the browser (the claim's evidence hash). */
async function sha256(file: File): Promise<number[]> {
  return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", await file.arrayBuffer())));
}

const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * A pool's claims: file one (amount, evidence URI, hash of an uploaded file), each
 * claim's status, tallies against quorum and threshold and deadlines; vote; finalize,
 * pay and settle the bond (anyone); the guardian's veto and pause.
 */
export function ClaimsPage({ client, wallet, tick, send, market }: PageProps & { market: PublicKey }) {
  const [pool, setPool] = useState<Pool | null>(null);
  const [claims, setClaims] = useState<ClaimRow[]>([]);
  const [guardian, setGuardian] = useState<PublicKey | null>(null);
  const [authority, setAuthority] = useState<PublicKey | null>(null);
  const [now, setNow] = useState(0);
  const [amount, setAmount] = useState("");
  const [uri, setUri] = useState("");
  const [hash, setHash] = useState<number[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const address = poolAddress(market, client.programId);
  useEffect(() => {
    (async () => {
      const [p, protocol, t] = await Promise.all([client.program.account.pool.fetch(address), client.fetchProtocol(), chainNow(client)]);
      const all = await client.program.account.claim.all([{ memcmp: { offset: 8, bytes: address.toBase58() } }]);
      setPool(p);
      setGuardian(protocol.guardian);
      setAuthority(protocol.authority);
      setNow(t);
      setClaims((all as ClaimRow[]).sort((a, b) => Number(a.account.number.toString()) - Number(b.account.number.toString())));
    })().catch((e) => setError(describeError(e)));
  }, [client, tick, market.toBase58()]);

  if (error) return <section className="error">{error}</section>;
  if (!pool) return <section>Loading claims…</section>;
  const keys = client.poolKeys(market, pool.mint, pool.tokenProgram);
  const d = pool.mintDecimals;
  const g = pool.params.governance;
  const isGuardian = !!wallet && !!guardian && wallet.publicKey.equals(guardian);
  // Pausing is the guardian's (or the authority's); clearing pauses is the authority's only.
  const isAuthority = !!wallet && !!authority && wallet.publicKey.equals(authority);
  const tokenOf = (owner: PublicKey) => getAssociatedTokenAddressSync(keys.mint, owner, true, keys.tokenProgram);
  const left = (t: BN) => {
    const s = Number(t.toString()) - now;
    return s > 0 ? `in ${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m` : "passed";
  };

  return (
    <>
      <section>
        <h2>
          Claims on the pool of <a href={`#/pool/${market.toBase58()}`}>{short(market)}</a>
        </h2>
        <p className="label">
          Quorum {bps(g.quorumBps)} of eligible weight, approval {bps(g.approvalThresholdBps)} of votes cast; voting {Number(g.votingPeriod.toString()) / 3600} h, hold-up{" "}
          {Number(g.holdupPeriod.toString()) / 3600} h; bond max({units(g.bondMin, d)}, {bps(g.bondBps)} of the claim).
        </p>
        <div className="row">
          <input data-testid="claim-amount" placeholder="amount" value={amount} onChange={(e) => setAmount(e.target.value)} />
          <input data-testid="claim-uri" placeholder="evidence URI (ipfs://…)" value={uri} onChange={(e) => setUri(e.target.value)} />
          <input data-testid="claim-file" type="file" onChange={(e) => e.target.files?.[0] && sha256(e.target.files[0]).then(setHash)} />
          <button
            data-testid="file-claim"
            disabled={!wallet || !hash}
            title={!wallet ? "connect a wallet" : !hash ? "choose the evidence file" : ""}
            onClick={() =>
              send("file claim", async () => {
                const { id } = await client.nextClaim(keys, wallet!.publicKey);
                return [await client.fileClaim(wallet!.publicKey, keys, id, tokenOf(wallet!.publicKey), parseAmount(amount, d), hash!, uri)];
              })
            }
          >
            File claim
          </button>
        </div>
        {hash && <p className="label" data-testid="claim-hash">evidence sha256 {hex(hash)}</p>}
      </section>

      <section>
        <table data-testid="claims">
          <thead>
            <tr>
              <th>id</th>
              <th>claimant</th>
              <th>amount</th>
              <th>status</th>
              <th>yes / no (eligible)</th>
              <th>deadline</th>
              <th>actions</th>
            </tr>
          </thead>
          <tbody>
            {claims.map(({ publicKey, account: c }) => {
              const status = statusOf(c.status);
              const [yes, no, eligible] = [c.yesWeight, c.noWeight, c.eligibleWeight].map((x) => new BN(x.toString()));
              const turnout = eligible.isZero() ? 0 : yes.add(no).muln(10_000).div(eligible).toNumber();
              const approval = yes.add(no).isZero() ? 0 : yes.muln(10_000).div(yes.add(no)).toNumber();
              const id = c.number.toString();
              return (
                <tr key={publicKey.toBase58()} data-testid={`claim-${id}`}>
                  <td>{id}</td>
                  <td>{short(c.claimant)}</td>
                  <td>{units(c.amount, d)}</td>
                  <td data-testid={`claim-${id}-status`}>{status}</td>
                  <td>
                    {yes.toString()} / {no.toString()} ({eligible.toString()}): turnout {bps(turnout)} of {bps(g.quorumBps)}, yes {bps(approval)} of {bps(g.approvalThresholdBps)}
                  </td>
                  <td>{status === "voting" ? `vote ends ${left(c.votingEndsAt)}` : status === "approved" ? `payable ${left(c.holdupEndsAt)}` : "-"}</td>
                  <td>
                    {status === "voting" && (
                      <>
                        <button data-testid={`vote-yes-${id}`} disabled={!wallet} onClick={() => send("vote", async () => [await client.castVote(wallet!.publicKey, keys, publicKey, true)])}>
                          Vote yes
                        </button>{" "}
                        <button data-testid={`vote-no-${id}`} disabled={!wallet} onClick={() => send("vote", async () => [await client.castVote(wallet!.publicKey, keys, publicKey, false)])}>
                          Vote no
                        </button>{" "}
                        <button data-testid={`finalize-${id}`} disabled={!wallet} onClick={() => send("finalize", async () => [await client.finalizeClaim(keys, publicKey, c.claimant)])}>
                          Finalize
                        </button>
                      </>
                    )}
                    {status === "approved" && (
                      <>
                        <button data-testid={`pay-${id}`} disabled={!wallet} onClick={() => send("pay", async () => [await client.payClaim(keys, publicKey, c.claimant)])}>
                          Pay
                        </button>{" "}
                        {isGuardian && (
                          <button data-testid={`veto-${id}`} onClick={() => send("veto", async () => [await client.vetoClaim(wallet!.publicKey, keys, publicKey, c.claimant)])}>
                            Veto
                          </button>
                        )}
                      </>
                    )}
                    {status !== "voting" && status !== "approved" && c.bondSettled === 0 && (
                      <button data-testid={`settle-${id}`} disabled={!wallet} onClick={() => send("settle bond", async () => [await client.withdrawBond(keys, publicKey, tokenOf(c.claimant))])}>
                        Settle bond
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      {(isGuardian || isAuthority) && (
        <section data-testid="guardian">
          <h3>{isGuardian ? "Guardian" : "Authority"}</h3>
          <p>Pause bits of this pool: {pool.paused}</p>
          <div className="row">
            <button data-testid="pause-deposits" onClick={() => send("pause deposits", async () => [await client.setPoolPause(wallet!.publicKey, keys, pool.paused | PAUSE_DEPOSIT)])}>
              Pause deposits
            </button>
            {isAuthority ? (
              <button data-testid="unpause" onClick={() => send("unpause", async () => [await client.setPoolPause(wallet!.publicKey, keys, 0)])}>
                Unpause all
              </button>
            ) : (
              <span className="label">Only the protocol authority (governance) clears pauses.</span>
            )}
          </div>
        </section>
      )}
    </>
  );
}
