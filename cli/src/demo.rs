//! `insurance-pool demo`: a complete, narrated scenario on an embedded Solana runtime
//! (solana-program-test's bank, running the SBF binaries when they can be built here,
//! the native build otherwise). No validator, no key files. It ends by checking
//! conservation and isolation, and fails if they do not hold.

use insurance_pool_sdk::exchange as x;
use insurance_pool_sdk::ix::*;
use insurance_pool_sdk::state::*;
use insurance_pool_tests::{
    runtime, ExchangeKeys, Market, MarketParams, Outcome, Runtime, Signer, TestEnv, User, TOKEN,
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

    async fn pools(&mut self, pools: &[(&str, &PoolKeys)]) {
        let now = self.env.now().await;
        let mut rows: Vec<Value> = Vec::new();
        for (name, keys) in pools {
            let pool = self.env.pool(keys).await;
            let exposure: PoolExposure = self.env.fetch(keys.exposure).await;
            let mut row = render::pool(&keys.pool.to_string(), &pool, &exposure.book, now);
            row["market"] = Value::String(name.to_string());
            row["vault_balance"] = self.env.balance(keys.vault).await.into();
            rows.push(row);
        }
        let columns = [
            "market",
            "capital",
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

    // Two exchange markets, each with its own pool on the same mint.
    let params = MarketParams {
        maintenance_margin_bps: 500,
        max_leverage: 10,
    };
    let a = ExchangeKeys::new(1, mint, TOKEN);
    let b = ExchangeKeys::new(2, mint, TOKEN);
    for keys in [&a, &b] {
        d.env
            .ok(&[x::create_market(&payer, keys, params)], &[])
            .await;
        d.env
            .create_pool_at(keys.market, mint, TOKEN, default_params())
            .await;
    }
    let limits = ExchangeLimits {
        per_event_cap: 600,
        per_epoch_cap: 5_000,
        epoch_length: DAY,
    };
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
    d.say(
        "two markets, two pools; market A's exchange registered (per-event cap 600)",
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
        "underwriters deposit: alice 3000 and bob 2000 into A, carol 4000 into B",
        None,
    );
    d.pools(&[("A", &a.pool), ("B", &b.pool)]).await;
    let b_before = d.env.snapshot(&b_watch).await;

    // Premiums at rising rates.
    let trader = d.env.user(&a.pool, 20_000).await;
    for notional in [5_000u64, 5_000, 5_000] {
        d.env.warp(DAY / 2).await;
        let ix = contribute_premium(
            &trader.pubkey(),
            &a.pool,
            &trader.token,
            None,
            notional,
            u64::MAX,
        );
        let out = d.env.ok(&[ix], &[&trader.key]).await;
        let rate = d.env.pool(&a.pool).await.rate_bps;
        d.say(&format!("a trader buys cover of {notional} on A at {rate} bps (rate rises with utilisation, smoothed)"), Some(&out));
    }
    d.pools(&[("A", &a.pool), ("B", &b.pool)]).await;

    // A liquidation with bad debt on A.
    let loser: User = d.env.user(&a.pool, 1_000).await;
    d.env
        .ok(
            &[x::deposit_collateral(
                &loser.pubkey(),
                &a,
                &loser.token,
                1_000,
            )],
            &[&loser.key],
        )
        .await;
    d.env
        .ok(
            &[x::open_position(&loser.pubkey(), &a, 10, 1_000)],
            &[&loser.key],
        )
        .await;
    let out = d
        .env
        .ok(
            &[x::liquidate(
                &payer,
                &a,
                &loser.pubkey(),
                &a.pool,
                &a.registration(),
                800,
            )],
            &[],
        )
        .await;
    let market: Market = d.env.fetch(a.market).await;
    d.say(
        &format!(
            "long 10 @ 1000 liquidated @ 800: shortfall {} -> pool covered {} (per-event cap binds), exchange socialises {}",
            market.bad_debt, market.insured_loss, market.socialized_loss
        ),
        Some(&out),
    );
    d.pools(&[("A", &a.pool), ("B", &b.pool)]).await;

    // A claim, voted, held, paid.
    d.env.warp(1).await;
    let out = d
        .env
        .ok(
            &[file_claim(
                &trader.pubkey(),
                &a.pool,
                0,
                &trader.token,
                2_000,
                [9; 32],
                "ipfs://demo-evidence",
            )],
            &[&trader.key],
        )
        .await;
    d.say(
        "the trader files a claim of 2000 (bond 50 into escrow)",
        Some(&out),
    );
    let claim = claim_address(&a.pool, 0);
    for u in [&alice, &bob] {
        let out = d
            .env
            .ok(&[cast_vote(&u.pubkey(), &a.pool, &claim, true)], &[&u.key])
            .await;
        d.say(&format!("underwriter {} votes yes", u.pubkey()), Some(&out));
    }
    d.env.warp(DEFAULT_GOVERNANCE.voting_period).await;
    let out = d
        .env
        .ok(&[finalize_claim(&a.pool, &claim, &trader.pubkey())], &[])
        .await;
    d.say(
        "voting period over: approved (quorum and threshold met), 2000 reserved, hold-up starts",
        Some(&out),
    );
    d.env.warp(DEFAULT_GOVERNANCE.holdup_period).await;
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

    // A withdrawal after the cooldown.
    let shares = d.env.underwriter(&a.pool, &bob.pubkey()).await.shares;
    d.env
        .ok(
            &[request_withdrawal(&bob.pubkey(), &a.pool, shares)],
            &[&bob.key],
        )
        .await;
    d.env.warp(DAY).await;
    let out = d
        .env
        .ok(
            &[complete_withdrawal(&bob.pubkey(), &a.pool, &bob.token)],
            &[&bob.key],
        )
        .await;
    let paid = d.env.balance(bob.token).await;
    d.say(
        &format!("bob withdraws after the cooldown: {paid} for his 2000 (premiums in, losses out)"),
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
        if vault != pool.capital || bonds != pool.bonds_held {
            return Err(format!("conservation broken for {}", keys.pool));
        }
    }
    if d.env.snapshot(&b_watch).await != b_before {
        return Err("market B changed".into());
    }
    println!(
        "\nchecks: every vault holds exactly its pool's capital, every bond escrow its bonds: OK"
    );
    println!("checks: market B's pool, vault and escrow are byte-identical to before anything happened on A: OK");
    Ok(())
}
