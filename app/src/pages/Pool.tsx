import { useEffect, useState } from "react";

import { BN } from "@anchor-lang/core";
import { getAssociatedTokenAddressSync } from "@solana/spl-token";
import type { PublicKey } from "@solana/web3.js";
import { maxPremiumFor, parseAmount, poolAddress, seasonedFrom, valueOfShares, votesFrom, withdrawalLapsesAt, withdrawalPayout, type PoolView } from "@insurance-pool/client";

import { bps, chainNow, describeError, PAUSE_DEPOSIT, units } from "../chain";
import { Chart, type Point } from "./Chart";
import type { PageProps } from "../App";

type Underwriter = Awaited<ReturnType<PageProps["client"]["fetchUnderwriter"]>>;
type Member = Awaited<ReturnType<PageProps["client"]["fetchMember"]>>;
type Quote = Awaited<ReturnType<PageProps["client"]["quoteFor"]>>;

const countdown = (secs: number) =>
  secs <= 0 ? "now" : `${Math.floor(secs / 86_400)}d ${Math.floor((secs % 86_400) / 3600)}h ${Math.floor((secs % 3600) / 60)}m ${secs % 60}s`;

/** One pool: deposit, withdraw (with its countdowns), buy cover at a live quote, the member's cover, history. */
export function PoolPage({ client, wallet, tick, send, market }: PageProps & { market: PublicKey }) {
  const [view, setView] = useState<PoolView | null>(null);
  const [protocolPaused, setProtocolPaused] = useState(0);
  const [now, setNow] = useState(0);
  const [exitClock, setExitClock] = useState(0);
  const [position, setPosition] = useState<Underwriter | null>(null);
  const [member, setMember] = useState<Member | null>(null);
  const [history, setHistory] = useState<Point[]>([]);
  const [amount, setAmount] = useState("");
  const [notional, setNotional] = useState("");
  const [slippage, setSlippage] = useState("50");
  const [quote, setQuote] = useState<Quote | null>(null);
  const [quoteError, setQuoteError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const keys = view ? client.poolKeys(market, view.account.mint, view.account.tokenProgram) : null;
  useEffect(() => {
    (async () => {
      const pool = await client.program.account.pool.fetch(poolAddress(market, client.programId));
      const k = client.poolKeys(market, pool.mint, pool.tokenProgram);
      const [v, protocol, t, clock] = await Promise.all([client.fetchPoolView(k), client.fetchProtocol(), chainNow(client), client.fetchExitClock(k)]);
      setView(v);
      setProtocolPaused(protocol.paused);
      setNow(t);
      setExitClock(Number(clock.toString()));
      if (wallet) {
        setPosition(await client.fetchUnderwriter(k, wallet.publicKey).catch(() => null));
        setMember(await client.fetchMember(k, wallet.publicKey).catch(() => null));
      }
    })().catch((e) => setError(describeError(e)));
  }, [client, wallet, tick, market]);

  // History: capital and rate after every event of this pool (from its transactions).
  useEffect(() => {
    if (!keys) return;
    (async () => {
      const sigs = await client.provider.connection.getSignaturesForAddress(keys.pool, { limit: 200 });
      const points: Point[] = [];
      for (const s of sigs.reverse()) {
        const tx = await client.provider.connection.getTransaction(s.signature, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
        const t = tx?.blockTime ?? 0;
        for (const ev of client.parseEvents(tx?.meta?.logMessages ?? [])) {
          const d = ev.data as { capital?: BN; rateBps?: BN; poolCapital?: BN };
          const capital = d.capital ?? d.poolCapital;
          if (capital) points.push({ t, capital: Number(capital.toString()), rate: d.rateBps ? Number(d.rateBps.toString()) : undefined });
        }
      }
      setHistory(points);
    })().catch(() => setHistory([]));
    // Refreshed with every confirmed transaction of the page (tick moves then too).
  }, [client, keys?.pool.toBase58(), Math.floor(tick / 5)]);

  // A live quote for the cover being typed (simulated quote_premium, with the member's account).
  useEffect(() => {
    setQuote(null);
    setQuoteError(null);
    if (!keys || !view || !notional) return;
    let n: BN;
    try {
      n = parseAmount(notional, view.account.mintDecimals);
    } catch (e) {
      setQuoteError(String((e as Error).message));
      return;
    }
    const quoted = wallet ? client.quoteFor(keys, n, wallet.publicKey) : client.quote(keys, n);
    quoted.then(setQuote, (e) => setQuoteError(describeError(e)));
  }, [notional, keys?.pool.toBase58(), wallet?.publicKey.toBase58(), Math.floor(tick / 3)]);

  if (error) return <section className="error">{error}</section>;
  if (!view || !keys) return <section>Loading pool…</section>;
  const p = view.account;
  const d = p.mintDecimals;
  const token = wallet ? getAssociatedTokenAddressSync(keys.mint, wallet.publicKey, true, keys.tokenProgram) : null;
  const depositPaused = ((p.paused | protocolPaused) & PAUSE_DEPOSIT) !== 0;
  const holdup = Number(view.depositsClosedUntil.toString()) > now;
  const depositBlocked = !wallet
    ? "connect a wallet"
    : depositPaused
      ? "deposits are paused by the guardian"
      : holdup
        ? `deposits reopen after an approved claim's hold-up (${countdown(Number(view.depositsClosedUntil.toString()) - now)})`
        : null;
  const shares = position ? new BN(position.shares.toString()) : new BN(0);
  const pendingShares = position ? new BN(position.pendingShares.toString()) : new BN(0);
  const totalShares = new BN(p.totalShares.toString());
  // The shares' value as the program computes it (on exit capital: claims still voting
  // are borne too), and what completing the pending withdrawal pays now (its value
  // now: pending shares are full holders until they leave).
  const shareValue = valueOfShares(shares, view.exitCapital, totalShares);
  const exitValue = position ? withdrawalPayout(view, pendingShares) : new BN(0);
  const unlockAt = position ? Number(position.unlockAt.toString()) : 0;
  // Claims this position (or a deposit made now) votes on: the program's stake-age rule.
  const age = p.params.governance.minStakeAge;
  const votes = position ? votesFrom(position, age) : null;
  const votesAt = votes ? Number(votes.toString()) : 0;
  const depositVotesAt = Number(seasonedFrom(now, age).toString());
  const at = (t: number) => new Date(t * 1000).toISOString();
  // The window runs on the pool's exit clock (it waits while claims vote).
  const lapses = position ? withdrawalLapsesAt(position, exitClock, now) : null;
  const lapsesAt = lapses ? Number(lapses.toString()) : 0;
  const claimsVoting = !new BN(p.votingClaims.toString()).isZero();

  return (
    <>
      <section>
        <h2>
          Pool of market {market.toBase58()} · <a href={`#/claims/${market.toBase58()}`}>claims</a>
        </h2>
        <div className="grid">
          <div><div className="label">capital</div><div className="stat" data-testid="capital">{units(p.capital, d)}</div></div>
          <div><div className="label">free capital</div><div className="stat">{units(view.freeCapital, d)}</div></div>
          <div><div className="label">premium rate</div><div className="stat">{bps(p.rateBps)}</div></div>
          <div><div className="label">volume rate</div><div className="stat">{bps(p.volumeRateBps)}</div></div>
          <div><div className="label">losses covered</div><div className="stat">{units(p.lossStats.totalCovered, d)}</div></div>
          <div><div className="label">state</div><div className="stat">{p.paused | protocolPaused ? `paused (${p.paused | protocolPaused})` : "open"}</div></div>
        </div>
        {view.mintHasFreezeAuthority && <p className="warn">The mint's issuer can freeze this pool's vault (and so every exit and payout).</p>}
      </section>

      <section>
        <h3>Underwrite</h3>
        <div className="row">
          <input data-testid="deposit-amount" placeholder="amount" value={amount} onChange={(e) => setAmount(e.target.value)} />
          <button
            data-testid="deposit"
            disabled={depositBlocked !== null}
            title={depositBlocked ?? ""}
            onClick={() => send("deposit", async () => [await client.deposit(wallet!.publicKey, keys, token!, parseAmount(amount, d))])}
          >
            Deposit
          </button>
          {depositBlocked && <span className="reason" data-testid="deposit-reason">{depositBlocked}</span>}
        </div>
        <p className="hint" data-testid="deposit-votes-from">
          A deposit made now votes on claims filed from {at(depositVotesAt)} (in {countdown(depositVotesAt - now)}).
        </p>
        {claimsVoting && (
          <p className="warn" data-testid="deposit-voting-claims">
            Claims of {units(p.votingClaims, d)} are being voted on: a deposit made now bears its share of them if they are approved.
          </p>
        )}
        {position && (
          <div data-testid="position">
            <p>
              Your shares: <b data-testid="shares">{shares.toString()}</b>, worth <b data-testid="share-value">{units(shareValue, d)}</b>
            </p>
            {votes && (
              <p data-testid="votes-from">
                Votes on claims filed from {at(votesAt)}
                {now < votesAt ? ` (in ${countdown(votesAt - now)})` : ""}
              </p>
            )}
            {pendingShares.isZero() ? (
              <div className="row">
                <button data-testid="request-withdrawal" disabled={shares.isZero()} onClick={() => send("request withdrawal", async () => [await client.requestWithdrawal(wallet!.publicKey, keys, shares)])}>
                  Request withdrawal of all shares
                </button>
              </div>
            ) : (
              <div className="row">
                <span>
                  {pendingShares.toString()} shares pending:{" "}
                  {now < unlockAt
                    ? `unlocks in ${countdown(unlockAt - now)} (cooldown, or the end of the cover in force at the request)`
                    : now > lapsesAt
                      ? "lapsed"
                      : claimsVoting
                        ? "completes once the claims voting are settled (the window waits for them)"
                        : `complete within ${countdown(lapsesAt - now)}`}
                  ; pays {units(exitValue, d)} now
                </span>
                <button onClick={() => send("cancel withdrawal", async () => [await client.cancelWithdrawal(wallet!.publicKey, keys)])}>Cancel</button>
                <button disabled={now < unlockAt || claimsVoting} onClick={() => send("complete withdrawal", async () => [await client.completeWithdrawal(wallet!.publicKey, keys, token!)])}>
                  Complete
                </button>
              </div>
            )}
          </div>
        )}
      </section>

      <section>
        <h3>Buy cover</h3>
        <div className="row">
          <input data-testid="cover-notional" placeholder="cover amount" value={notional} onChange={(e) => setNotional(e.target.value)} />
          <label>
            slippage (bps) <input data-testid="slippage" size={5} value={slippage} onChange={(e) => setSlippage(e.target.value)} />
          </label>
          <button
            data-testid="buy-cover"
            disabled={!wallet || !quote}
            onClick={() =>
              send("buy cover", async () => {
                // Bounded by the quote shown (plus the slippage), and ending no sooner; the
                // protocol fee (if any) to the treasury's account, created if missing.
                const maxPremium = maxPremiumFor(quote!, Math.max(0, Math.floor(Number(slippage) || 0)));
                const { treasuryToken, setup } = await client.treasuryFor(wallet!.publicKey, keys);
                const buy = await client.contributePremium(wallet!.publicKey, keys, token!, parseAmount(notional, d), maxPremium, quote!.coverageExpiry, treasuryToken);
                return [...setup, buy];
              })
            }
          >
            Buy cover
          </button>
        </div>
        {quote && (
          <p data-testid="quote">
            Premium <b data-testid="quote-premium">{units(quote.premium, d)}</b> at {bps(quote.rateBps)}, cover until{" "}
            {new Date(Number(quote.coverageExpiry.toString()) * 1000).toISOString()}
          </p>
        )}
        {quoteError && <p className="reason">{quoteError}</p>}
        {member && (
          <p data-testid="member">
            Your cover: {units(member.coveredAmount, d)} until {new Date(Number(member.coverageExpiry.toString()) * 1000).toISOString()}; matured{" "}
            {units(member.maturedAmount, d)}, maturing {units(member.maturingAmount, d)}; claimed {units(member.claimedAmount, d)}; premiums paid{" "}
            <span data-testid="premiums-paid">{units(member.premiumsPaid, d)}</span>
          </p>
        )}
      </section>

      <section>
        <h3>Capital and rate over time</h3>
        <Chart points={history} decimals={d} />
      </section>
    </>
  );
}
