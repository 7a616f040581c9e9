//! `insurance-pool demo`: a complete, narrated scenario on an embedded Solana runtime
//! (solana-program-test's bank, running the SBF binaries when they can be built here,
//! the native build otherwise). No validator, no key files. It ends by checking
//! conservation (every vault holds its pool's capital plus unearned premium, every bond
//! escrow its bonds) and isolation, and fails if they do not hold.
//!
//! The story follows the pool's time rules: premiums are earned over the cover's term,
//! cover is claimable one day after purchase, only shares staked two stake periods
//! (3 days each) before a filing vote on it, deposits are locked 30 days, and an
//! exchange's draw right starts 62 days after its registration.

use insurance_pool_sdk::ix::*;
use insurance_pool_sdk::state::*;
use insurance_pool_testkit::exchange_ix as x;
use insurance_pool_testkit::{
    default_params, runtime, ExchangeKeys, Market, MarketParams, Outcome, Runtime, Signer, TestEnv,
    User, DEFAULT_GOVERNANCE, TOKEN,
};
use serde_json::Value;

use crate::render;

const DAY: i64 = 86_400;

/// Picks the runtime: the SBF binaries (built first if missing or stale, when the
/// pinned toolchain can be installed), else the native build.
fn choose_runtime() -> Runtime {
    if std::env::var("POOL_TEST_RUNTIME").is_ok() {
        return runtime::selected_runtime();
    }
    if runtime::selected_runtime() == Runtime::Sbf {
        return Runtime::Sbf;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/build-sbf.sh");
    println!("building the SBF binaries first ({script}) ...");
    match std::process::Command::new("bash").arg(script).status() {
        Ok(s) if s.success() => Runtime::Sbf,
        _ => {
            println!("SBF toolchain unavailable: running the native build");
            Runtime::Native
        }
    }
}

struct Demo {
    env: TestEnv,
    step: usize,
}

impl Demo {
    fn say(&mut self, title: &str, out: Option<&Outcome>) {
        self.step += 1;
        let cu = match (out, self.env.runtime) {
            (Some(o), Runtime::Sbf) => format!("  [{} CU]", o.compute_units),
            _ => String::new(),
        };
        println!("\n{}. {title}{cu}", self.step);
    }

    /// The market's oracle (the payer, in this example) publishes `price` now.
    async fn price(&mut self, keys: &ExchangeKeys, price: u64) {
        let (payer, now) = (self.env.payer(), self.env.now().await);
        self.env
            .ok(&[x::set_price(&payer, keys, price, now)], &[])
            .await;
    }

    /// Opens a 10x long of 10 at the oracle price 1 000 for a new trader with 1 000
    /// collateral; the oracle then moves to 800 and the position is liquidated: equity
    /// 1 000 + 10 x (800 - 1 000) = -1 000, a shortfall of 1 000 reported to the
    /// market's pool.
    async fn liquidation(&mut self, keys: &ExchangeKeys) -> Outcome {
        let payer = self.env.payer();
        self.price(keys, 1_000).await;
        let loser: User = self.env.user(&keys.pool, 1_000).await;
        self.env
            .ok(
                &[x::deposit_collateral(
                    &loser.pubkey(),
                    keys,
                    &loser.token,
                    1_000,
                )],
                &[&loser.key],
            )
            .await;
        self.env
            .ok(
                &[x::open_position(&loser.pubkey(), keys, 10, u64::MAX, None)],
                &[&loser.key],
            )
            .await;
        self.price(keys, 800).await;
        self.env
            .ok(
                &[x::liquidate(
                    &payer,
                    keys,
                    &loser.pubkey(),
                    &keys.pool,
                    &keys.registration(),
                )],
                &[],
            )
            .await
    }

    async fn pools(&mut self, pools: &[(&str, &PoolKeys)]) {
        let now = self.env.now().await;
        let mut rows: Vec<Value> = Vec::new();
        for (name, keys) in pools {
            let pool = self.env.pool(keys).await;
            let exposure: PoolExposure = self.env.fetch(keys.exposure).await;
            let clock = self.env.exit_clock(keys).await;
            let mut row = render::pool(&keys.pool.to_string(), &pool, &exposure.book, clock, now);
            row["market"] = Value::String(name.to_string());
            row["vault_balance"] = self.env.balance(keys.vault).await.into();
            rows.push(row);
        }
        let columns = [
            "market",
            "capital",
            "unearned_premiums",
            "vault_balance",
            "exposure",
            "utilisation_bps",
            "rate_bps",
            "reserved_for_claims",
            "losses",
        ];
        println!("{}", render::table(&rows, &columns));
    }
}

/// Runs the demo on the best available runtime.
pub fn run() -> Result<(), String> {
    let runtime = choose_runtime();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(run_on(runtime))
}

/// Runs the demo on `runtime`; `Err` if a final check fails.
pub async fn run_on(runtime: Runtime) -> Result<(), String> {
    let env = TestEnv::with_runtime(runtime).await;
    println!("runtime: {runtime:?} (solana-program-test bank, in process)");
    let mut d = Demo { env, step: 0 };
    let payer = d.env.payer();
    let authority = d.env.authority.insecure_clone();
    let mint = d.env.create_mint(TOKEN).await;
    let governance = DEFAULT_GOVERNANCE;

    // Two exchange markets, each with its own pool on the same mint.
    let params = MarketParams {
        maintenance_margin_bps: 500,
        max_leverage: 10,
        max_price_age: 60,
    };
    let a = ExchangeKeys::new(1, mint, TOKEN);
    let b = ExchangeKeys::new(2, mint, TOKEN);
    for keys in [&a, &b] {
        d.env
            .ok(&[x::create_market(&payer, keys, params, payer)], &[])
            .await;
        d.env
            .create_pool_at(keys.market, mint, TOKEN, default_params())
            .await;
    }
    let limits = insurance_pool_testkit::exchange::limits(600, 5_000, DAY);
    let out = d
        .env
        .ok(
            &[register_exchange(
                &payer,
                &authority.pubkey(),
                &a.pool,
                a.authority,
                &a.collateral_vault,
                limits,
            )],
            &[&authority],
        )
        .await;
    let registration: ExchangeRegistration = d.env.fetch(a.registration()).await;
    let registered_at = d.env.now().await;
    let delay_days = (registration.active_from - registered_at) / DAY;
    d.say(
        &format!(
            "two markets, two pools; market A's exchange (its authority PDA) registered: \
             per-event cap 600, draws from {delay_days} days on (deposit lock + cooldown + 1 day)"
        ),
        Some(&out),
    );
    let b_watch = [b.pool.pool, b.pool.vault, b.pool.bond_vault];

    // Underwriters.
    let alice = d.env.user(&a.pool, 3_000).await;
    let bob = d.env.user(&a.pool, 2_000).await;
    let carol = d.env.user(&b.pool, 4_000).await;
    for (u, keys, amount) in [
        (&alice, &a.pool, 3_000),
        (&bob, &a.pool, 2_000),
        (&carol, &b.pool, 4_000),
    ] {
        d.env
            .ok(
                &[deposit(&u.pubkey(), keys, &u.token, amount, 0)],
                &[&u.key],
            )
            .await;
    }
    d.say(
        "underwriters deposit: alice 3000 and bob 2000 into A, carol 4000 into B (locked 30 days)",
        None,
    );
    d.pools(&[("A", &a.pool), ("B", &b.pool)]).await;
    let b_before = d.env.snapshot(&b_watch).await;

    // Premiums at rising rates: quote (with the member's account once it exists), then
    // buy bounded by the quote's premium and expiry.
    let trader = d.env.user(&a.pool, 20_000).await;
    let member = a.pool.member(&trader.pubkey());
    for notional in [5_000u64, 5_000, 5_000] {
        d.env.warp(DAY / 2).await;
        let existing = d.env.account(member).await.map(|_| member);
        let q = d.env.quote(&a.pool, existing, notional).await;
        let ix = contribute_premium_until(
            &trader.pubkey(),
            &a.pool,
            &trader.token,
            None,
            notional,
            q.premium,
            q.coverage_expiry,
        );
        let out = d.env.ok(&[ix], &[&trader.key]).await;
        d.say(
            &format!(
                "a trader buys cover of {notional} on A: premium {} at {} bps (rate rises \
                 with utilisation; premiums are unearned first, earned over the term)",
                q.premium, q.rate_bps
            ),
            Some(&out),
        );
    }
    d.pools(&[("A", &a.pool), ("B", &b.pool)]).await;

    // A liquidation before the exchange's draw right applies: reported, nothing paid.
    let out = d.liquidation(&a).await;
    let market: Market = d.env.fetch(a.market).await;
    d.say(
        &format!(
            "a long 10 @ 1000 liquidated @ 800 before the draw right applies: shortfall {} -> \
             pool pays {}, the exchange socialises {}",
            market.bad_debt, market.insured_loss, market.socialized_loss
        ),
        Some(&out),
    );

    // A claim, voted, held, paid. The cover matured a day after purchase; the
    // underwriters' shares season at the end of the stake period after their deposit's.
    d.env.season(&a.pool).await;
    let claimant_index = d.env.fetch::<Member>(member).await.claim_count;
    let out = d
        .env
        .ok(
            &[file_claim(
                &trader.pubkey(),
                &a.pool,
                claimant_index,
                &trader.token,
                2_000,
                [9; 32],
                "ipfs://demo-evidence",
            )],
            &[&trader.key],
        )
        .await;
    d.say(
        "six days later the trader files a claim of 2000 on its matured cover (bond 50 into escrow)",
        Some(&out),
    );
    let claim = claim_address(&a.pool, &trader.pubkey(), claimant_index);
    for u in [&alice, &bob] {
        let out = d
            .env
            .ok(&[cast_vote(&u.pubkey(), &a.pool, &claim, true)], &[&u.key])
            .await;
        let weight: VoteRecord = d
            .env
            .fetch(insurance_pool_sdk::pda::vote(&claim, &u.pubkey()).0)
            .await;
        d.say(
            &format!(
                "underwriter {} votes yes with its {} seasoned shares",
                u.pubkey(),
                weight.weight
            ),
            Some(&out),
        );
    }
    d.env.warp(governance.voting_period).await;
    let out = d
        .env
        .ok(&[finalize_claim(&a.pool, &claim, &trader.pubkey())], &[])
        .await;
    d.say(
        "voting period over: approved (quorum and threshold met), 2000 reserved, hold-up starts",
        Some(&out),
    );
    d.env.warp(governance.holdup_period).await;
    let out = d
        .env
        .ok(
            &[pay_claim(&a.pool, &claim, &trader.pubkey(), &trader.token)],
            &[],
        )
        .await;
    d.say("hold-up over, no veto: the claim is paid", Some(&out));
    d.env
        .ok(&[withdraw_bond(&a.pool, &claim, &trader.token)], &[])
        .await;
    let c: Claim = d.env.fetch(claim).await;
    println!(
        "{}",
        render::detail(&render::claim(
            &claim.to_string(),
            &c,
            &d.env.pool(&a.pool).await
        ))
    );

    // The exchange's draw right applies (on the pool's exit clock, which stood still
    // while the claim voted): a liquidation's shortfall is covered.
    d.env
        .warp_exit_clock_to(&a.pool, registration.active_from)
        .await;
    let before: Market = d.env.fetch(a.market).await;
    let out = d.liquidation(&a).await;
    let market: Market = d.env.fetch(a.market).await;
    d.say(
        &format!(
            "day {delay_days}: another long 10 @ 1000 liquidated @ 800: shortfall {} -> pool \
             covered {} (per-event cap binds), exchange socialises {}",
            market.bad_debt - before.bad_debt,
            market.insured_loss - before.insured_loss,
            market.socialized_loss - before.socialized_loss
        ),
        Some(&out),
    );
    d.pools(&[("A", &a.pool), ("B", &b.pool)]).await;

    // Trading: every position opened on A pays the pool's volume fee by CPI (at the
    // rate its shortfall history sets), earned into capital over the next 7 days.
    for day in 1..=4 {
        d.price(&a, 1_000).await;
        let mut paid = 0;
        let mut last = None;
        let q = d.env.quote_volume(&a.pool, 10_000).await;
        for _ in 0..3 {
            let t = d.env.user(&a.pool, 2_000).await;
            let open = [
                x::deposit_collateral(&t.pubkey(), &a, &t.token, 2_000),
                x::open_position(&t.pubkey(), &a, 10, q.rate_bps, None),
            ];
            last = Some(d.env.ok(&open, &[&t.key]).await);
            paid += q.fee;
        }
        let pool = d.env.pool_now(&a.pool).await;
        d.say(
            &format!(
                "trading day {day}: 3 longs of 10 000 notional each pay {} bps = {paid} into A's \
                 pool (loss index {} on free capital {}); capital {}, unearned {}",
                q.rate_bps, q.loss_index, q.free_capital, pool.capital, pool.unearned_premiums
            ),
            last.as_ref(),
        );
        d.env.warp(DAY).await;
    }
    d.env.warp(7 * DAY).await;
    let pool = d.env.pool_now(&a.pool).await;
    let market: Market = d.env.fetch(a.market).await;
    let exchange_vault = d.env.balance(a.collateral_vault).await;
    d.say(
        &format!(
            "a week later the volume fees are earned: {} of volume paid {} in fees, A's capital \
             is {}; the exchange's vault holds {} = collateral {} + house {}",
            pool.total_volume,
            pool.total_volume_fees,
            pool.capital,
            exchange_vault,
            market.total_collateral,
            market.house_balance
        ),
        None,
    );
    d.pools(&[("A", &a.pool), ("B", &b.pool)]).await;

    // A withdrawal: after the deposit lock, then the cooldown.
    let shares = d.env.underwriter(&a.pool, &bob.pubkey()).await.shares.get();
    d.env
        .ok(
            &[request_withdrawal(&bob.pubkey(), &a.pool, shares)],
            &[&bob.key],
        )
        .await;
    d.env.warp(default_params().withdrawal_cooldown).await;
    let out = d
        .env
        .ok(
            &[complete_withdrawal(&bob.pubkey(), &a.pool, &bob.token)],
            &[&bob.key],
        )
        .await;
    let paid = d.env.balance(bob.token).await;
    d.say(
        &format!(
            "after the 30-day lock and the cooldown bob withdraws {paid} for his 2000 \
             (earned premiums in, claim and shortfall out)"
        ),
        Some(&out),
    );
    d.pools(&[("A", &a.pool), ("B", &b.pool)]).await;

    // Final checks.
    for keys in [&a.pool, &b.pool] {
        let pool = d.env.pool(keys).await;
        let (vault, bonds) = (
            d.env.balance(keys.vault).await,
            d.env.balance(keys.bond_vault).await,
        );
        if vault != pool.capital + pool.unearned_premiums || bonds != pool.bonds_held {
            return Err(format!(
                "conservation broken for {}: vault {vault}, capital {} + unearned {}, \
                 escrow {bonds}, bonds {}",
                keys.pool, pool.capital, pool.unearned_premiums, pool.bonds_held
            ));
        }
    }
    let market: Market = d.env.fetch(a.market).await;
    if market.liabilities() != Some(d.env.balance(a.collateral_vault).await) {
        return Err("the exchange's vault does not hold what it owes".into());
    }
    if d.env.snapshot(&b_watch).await != b_before {
        return Err("market B changed".into());
    }
    println!(
        "\nchecks: every vault holds exactly its pool's capital plus unearned premium, every \
         bond escrow its bonds; the exchange's vault holds its traders' collateral plus the \
         house: OK"
    );
    println!("checks: market B's pool, vault and escrow are byte-identical to before anything happened on A: OK");
    Ok(())
}
