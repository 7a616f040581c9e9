//! CLI tests: argument parsing, URL monikers, error decoding, the JSON and table output
//! of the read commands (rendered from real accounts of an in-process bank), and the
//! demo's final checks.

use clap::Parser;
use insurance_pool_testkit::*;

use crate::actuary_cmd::{
    all_pages, chain_history, chain_volume, model_from_chain, TransactionLogs,
};
use crate::{
    explain, find_claim, read, render, resolve_url, Chain, Cli, CliResult, Command, POOL_COLUMNS,
};

const DAY: i64 = 86_400;

/// The embedded runtime's accounts, captured for the CLI's read commands, and (when
/// set) the transaction history a node would return for an address.
struct Snapshot {
    accounts: Vec<(Pubkey, Pubkey, Vec<u8>)>,
    now: i64,
    history: Option<Vec<TransactionLogs>>,
}

impl Snapshot {
    async fn take(env: &mut TestEnv, keys: &[Pubkey]) -> Self {
        let mut accounts = Vec::new();
        for key in keys {
            if let Some(a) = env.account(*key).await {
                accounts.push((*key, a.owner, a.data));
            }
        }
        Self {
            accounts,
            now: env.now().await,
            history: None,
        }
    }
}

impl Chain for Snapshot {
    fn account_data(&self, key: &Pubkey) -> CliResult<Vec<u8>> {
        self.accounts
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, d)| d.clone())
            .ok_or_else(|| format!("{key}: account not found"))
    }

    /// The node's memcmp filter: every `(offset, bytes)` must match.
    fn program_accounts(&self, memcmp: &[(usize, &[u8])]) -> CliResult<Vec<(Pubkey, Vec<u8>)>> {
        let matches = |d: &[u8]| {
            memcmp
                .iter()
                .all(|(at, bytes)| d.get(*at..at + bytes.len()) == Some(*bytes))
        };
        Ok(self
            .accounts
            .iter()
            .filter(|(_, owner, d)| *owner == insurance_pool::ID && matches(d))
            .map(|(k, _, d)| (*k, d.clone()))
            .collect())
    }

    fn now(&self) -> CliResult<i64> {
        Ok(self.now)
    }

    fn transaction_logs(&self, _address: &Pubkey) -> CliResult<Vec<TransactionLogs>> {
        self.history
            .clone()
            .ok_or_else(|| "this source has no transaction history: pass --history".into())
    }
}

/// Parses `args` as the CLI would, then runs the read command on `chain`.
fn cli_read(
    chain: &Snapshot,
    args: &[&str],
    signer: Option<Pubkey>,
) -> CliResult<serde_json::Value> {
    let mut argv = vec!["insurance-pool", "--json"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    assert!(cli.json);
    read(chain, &cli.command, signer).map(|(value, _)| value)
}

#[test]
fn parses_solana_cli_conventions() {
    let market = Pubkey::new_unique();
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "-u",
        "devnet",
        "--json",
        "pool",
        &market.to_string(),
    ])
    .unwrap();
    assert_eq!(cli.url.as_deref(), Some("devnet"));
    assert!(cli.json);
    assert!(matches!(cli.command, Command::Pool(ref m) if m.market == market));
    let cli = Cli::try_parse_from(["insurance-pool", "pools", "-k", "/tmp/k.json"]).unwrap();
    assert_eq!(
        (cli.url.as_deref(), cli.keypair.as_deref(), cli.json),
        (None, Some("/tmp/k.json"), false)
    );
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "deposit",
        &market.to_string(),
        "1500.25",
        "--min-shares",
        "5",
    ])
    .unwrap();
    assert!(matches!(
        cli.command,
        Command::Deposit {
            ref amount,
            min_shares: 5,
            ..
        } if amount.base_units(6) == Ok(1_500_250_000)
    ));
    // A vote needs exactly one side; bad pubkeys and amounts are refused.
    assert!(Cli::try_parse_from(["insurance-pool", "vote", &market.to_string(), "0"]).is_err());
    assert!(Cli::try_parse_from([
        "insurance-pool",
        "vote",
        &market.to_string(),
        "0",
        "--approve",
        "--reject"
    ])
    .is_err());
    assert!(Cli::try_parse_from([
        "insurance-pool",
        "vote",
        &market.to_string(),
        "0",
        "--reject"
    ])
    .is_ok());
    assert!(Cli::try_parse_from(["insurance-pool", "pool", "not-a-key"]).is_err());
    for bad in ["-1", "1,5", "1e6", "0x10"] {
        assert!(
            Cli::try_parse_from(["insurance-pool", "deposit", &market.to_string(), bad]).is_err(),
            "{bad}"
        );
    }
    // Buying cover needs no --max-premium (the quote bounds it) but takes one.
    let cli =
        Cli::try_parse_from(["insurance-pool", "contribute", &market.to_string(), "500"]).unwrap();
    assert!(matches!(
        cli.command,
        Command::Contribute {
            ref notional,
            max_premium: None,
            ..
        } if notional.base_units(0) == Ok(500)
    ));
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "contribute",
        &market.to_string(),
        "500",
        "--max-premium",
        "9",
    ])
    .unwrap();
    assert!(matches!(
        cli.command,
        Command::Contribute {
            max_premium: Some(ref m),
            ..
        } if m.base_units(2) == Ok(900)
    ));
    assert!(matches!(
        Cli::try_parse_from(["insurance-pool", "cancel-claim", &market.to_string(), "3"])
            .unwrap()
            .command,
        Command::CancelClaim { claim_id: 3, .. }
    ));
    #[cfg(feature = "demo")]
    assert!(matches!(
        Cli::try_parse_from(["insurance-pool", "demo"])
            .unwrap()
            .command,
        Command::Demo
    ));
    #[cfg(not(feature = "demo"))]
    assert!(Cli::try_parse_from(["insurance-pool", "demo"]).is_err());
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "update-params",
        &market.to_string(),
        "--base-rate",
        "75",
        "--claim-waiting-period",
        "7200",
    ])
    .unwrap();
    assert!(matches!(
        cli.command,
        Command::UpdateParams {
            params: crate::ParamArgs {
                base_rate: Some(75),
                deposit_cap: None,
                claim_waiting_period: Some(7_200),
                min_deposit_lock: None,
                volume_base_rate: None,
                ..
            },
            ..
        }
    ));
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "update-params",
        &market.to_string(),
        "--volume-base-rate",
        "3",
        "--volume-loss-slope",
        "800",
        "--volume-min-rate",
        "1",
        "--volume-max-rate",
        "40",
        "--volume-loss-decay-per-day",
        "700",
    ])
    .unwrap();
    assert!(matches!(
        cli.command,
        Command::UpdateParams {
            params: crate::ParamArgs {
                volume_base_rate: Some(3),
                volume_loss_slope: Some(800),
                volume_min_rate: Some(1),
                volume_max_rate: Some(40),
                volume_loss_decay_per_day: Some(700),
                base_rate: None,
                ..
            },
            ..
        }
    ));
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "--json",
        "volume-rate",
        &market.to_string(),
        "--volume",
        "5000",
    ])
    .unwrap();
    assert!(matches!(
        cli.command,
        Command::VolumeRate { volume: Some(ref v), market: m }
            if m == market && v.base_units(0) == Ok(5_000)
    ));
    assert!(Cli::try_parse_from(["insurance-pool", "volume-rate"]).is_err());
}

#[test]
fn url_monikers_and_error_decoding() {
    assert_eq!(resolve_url("localhost"), "http://127.0.0.1:8899");
    assert_eq!(
        resolve_url("mainnet-beta"),
        "https://api.mainnet-beta.solana.com"
    );
    assert_eq!(resolve_url("http://x:1"), "http://x:1");
    let explained = explain("Error processing Instruction 0: custom program error: 0x1771");
    assert!(
        explained.starts_with("Unauthorized (6001): Signer is not the protocol authority"),
        "{explained}"
    );
    assert_eq!(explain("connection refused"), "connection refused");
}

/// The CLI's `now` on a node is the clock sysvar the program reads (not a block time),
/// decoded from the account's bytes as the bank serialises it.
#[tokio::test]
async fn now_is_the_clock_sysvar() {
    let mut env = TestEnv::new().await;
    env.warp(12_345).await;
    let data = env
        .account(crate::clock_sysvar())
        .await
        .expect("clock sysvar")
        .data;
    assert_eq!(
        crate::clock_unix_timestamp(&data),
        Ok(insurance_pool_testkit::clock::start() + 12_345)
    );
    assert!(crate::clock_unix_timestamp(&data[..39]).is_err());
}

#[tokio::test]
async fn read_commands_render_real_accounts() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 10_000).await;
    env.deposit(&alice, &pool, 10_000).await;
    let trader = env.user(&pool, 1_000).await;
    let q = env.quote(&pool, None, 4_000).await;
    let ix = contribute_premium_until(
        &trader.pubkey(),
        &pool,
        &trader.token,
        None,
        4_000,
        q.premium,
        q.coverage_expiry,
    );
    env.ok(&[ix], &[&trader.key]).await;
    let now = env.now().await;
    let state = env.pool(&pool).await;

    let exposure: PoolExposure = env.fetch(pool.exposure).await;
    let json = render::pool(&pool.pool.to_string(), &state, &exposure.book, now, now);
    assert_eq!(json["market"], pool.market.to_string());
    // The premium is unearned: not capital yet, but in the vault.
    assert!(q.premium > 0);
    assert_eq!(json["capital"], 10_000);
    assert_eq!(json["free_capital"], 10_000);
    assert_eq!(json["unearned_premiums"], q.premium);
    assert_eq!(
        env.balance(pool.vault).await,
        json["capital"].as_u64().unwrap() + json["unearned_premiums"].as_u64().unwrap()
    );
    assert_eq!(json["mint_has_freeze_authority"], false);
    assert_eq!(json["shares"], 10_000_000_000u64);
    assert_eq!(json["exposure"], 4_000);
    assert_eq!(json["utilisation_bps"], q.utilisation_bps);
    assert_eq!(json["utilisation_bps"], 4_000);
    assert_eq!(json["rate_bps"], q.rate_bps);
    assert_eq!(json["share_price"], 1);
    assert_eq!(json["losses"]["count"], 0);
    assert_eq!(json["params"]["min_deposit_lock"], 30 * DAY);
    assert_eq!(json["params"]["claim_waiting_period"], DAY);
    assert_eq!(json["params"]["withdrawal_window"], 7 * DAY);
    assert_eq!(json["params"]["governance"]["min_stake_age"], 3 * DAY);
    assert_eq!(json["params"]["governance"]["max_claim_bps"], 5_000);
    assert!(json["pending_params"].is_null());
    let table = render::table(std::slice::from_ref(&json), POOL_COLUMNS);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].starts_with("market")
            && lines[0].contains("unearned_premiums")
            && lines[0].contains("mint_has_freeze_authority")
            && lines[2].contains("10000")
            && lines[2].contains("4000")
            && lines[2].contains("false"),
        "{table}"
    );
    assert!(render::detail(&json).contains("capital"));

    let u = env.underwriter(&pool, &alice.pubkey()).await;
    let json = render::underwriter("u", &u, &state, now, now);
    assert_eq!(
        (json["shares"].as_u64(), json["value"].as_u64()),
        (Some(10_000_000_000), Some(10_000))
    );
    // Just deposited: young, and locked for 30 days.
    assert_eq!(json["young_shares"], 10_000_000_000u64);
    assert_eq!(json["requestable_from"], u.last_deposit_at + 30 * DAY);
    assert!(json["lapses_at"].is_null());
    // Votes from the start of the second stake period after the deposit's (the
    // program's rule; tests/claims.rs checks it against `cast_vote`), which the pool
    // view promised for a deposit made at that time.
    let age = 3 * DAY;
    let votes_from = (u.last_deposit_at / age + 2) * age;
    assert_eq!(json["votes_from"], votes_from);
    let promise = render::pool(
        "p",
        &state,
        &exposure.book,
        u.last_deposit_at,
        u.last_deposit_at,
    );
    assert_eq!(promise["deposit_votes_from"], votes_from);
    let m: Member = env.fetch(pool.member(&trader.pubkey())).await;
    let json = render::member("m", &m, 6, now);
    assert_eq!(
        (json["covered_amount"].as_u64(), json["covered"].as_bool()),
        (Some(4_000), Some(true))
    );
    // Claimable only after the waiting period.
    assert_eq!(
        (json["claimable"].as_u64(), json["maturing_amount"].as_u64()),
        (Some(0), Some(4_000))
    );
    assert_eq!(render::member("m", &m, 6, now + DAY)["claimable"], 4_000);
    // After expiry the member shows no cover.
    let json = render::member("m", &m, 6, m.coverage_expiry);
    assert_eq!(
        (json["covered_amount"].as_u64(), json["claimable"].as_u64()),
        (Some(0), Some(0))
    );
}

#[cfg(feature = "demo")]
#[tokio::test]
async fn demo_ends_with_its_checks_passing() {
    crate::demo::run_on(runtime::selected_runtime())
        .await
        .unwrap();
}

/// `user` buys cover of `notional` on `pool` (quote, then buy at it).
async fn buy(env: &mut TestEnv, pool: &PoolKeys, user: &User, notional: u64) {
    let q = env.quote(pool, None, notional).await;
    let ix = contribute_premium_until(
        &user.pubkey(),
        pool,
        &user.token,
        None,
        notional,
        q.premium,
        q.coverage_expiry,
    );
    env.ok(&[ix], &[&user.key]).await;
}

#[tokio::test]
async fn read_commands_work_against_the_embedded_runtime() {
    let mut env = TestEnv::new().await;
    let a = env.create_pool(TOKEN).await;
    let b = env.create_pool(TOKEN).await;
    let alice = env.user(&a, 10_000).await;
    env.deposit(&alice, &a, 10_000).await;
    let carol = env.user(&b, 10_000).await;
    env.deposit(&carol, &b, 10_000).await;
    let trader = env.user(&a, 1_000).await;
    let other = env.user(&a, 1_000).await;
    let trader_b = env.user(&b, 1_000).await;
    buy(&mut env, &a, &trader, 4_000).await;
    buy(&mut env, &a, &other, 2_000).await;
    buy(&mut env, &b, &trader_b, 3_000).await;
    // Cover is claimable once its waiting period is over.
    env.warp(DAY).await;
    // Claim addresses are per claimant: each claimant's first claim is its index 0.
    let file = async |env: &mut TestEnv, pool: &PoolKeys, who: &User, amount: u64| {
        let ix = file_claim(
            &who.pubkey(),
            pool,
            0,
            &who.token,
            amount,
            [3; 32],
            "ipfs://x",
        );
        env.ok(&[ix], &[&who.key]).await;
        claim_address(pool, &who.pubkey(), 0)
    };
    let first = file(&mut env, &a, &trader, 1_000).await;
    let in_b = file(&mut env, &b, &trader_b, 700).await;
    let second = file(&mut env, &a, &other, 500).await;
    let keys = [
        a.pool,
        a.exposure,
        b.pool,
        b.exposure,
        a.underwriter(&alice.pubkey()),
        a.member(&trader.pubkey()),
        first,
        second,
        in_b,
        a.vault,
        insurance_pool_sdk::pda::protocol().0,
    ];
    let chain = Snapshot::take(&mut env, &keys).await;
    let (ma, mb) = (a.market.to_string(), b.market.to_string());
    let state = env.pool(&a).await;
    let capital = state.capital;
    // The premiums are still (mostly) unearned: earned day by day over their covers.
    assert!(capital >= 10_000 && state.unearned_premiums > 0);

    let pools = cli_read(&chain, &["pools"], None).unwrap();
    let pools = pools.as_array().unwrap();
    assert_eq!(pools.len(), 2, "the vault and the claims are not pools");
    let row_a = pools.iter().find(|p| p["market"] == ma.as_str()).unwrap();
    assert_eq!(
        (
            row_a["capital"].as_u64(),
            row_a["exposure"].as_u64(),
            row_a["unearned_premiums"].as_u64()
        ),
        (Some(capital), Some(6_000), Some(state.unearned_premiums))
    );
    assert!(pools
        .iter()
        .any(|p| p["market"] == mb.as_str() && p["exposure"] == 3_000));
    let table = render::table(pools, POOL_COLUMNS);
    assert!(
        table.starts_with("market") && table.contains(&ma) && table.contains(&capital.to_string())
    );

    let pool = cli_read(&chain, &["pool", &ma], None).unwrap();
    assert_eq!(
        (pool["capital"].as_u64(), pool["claims_filed"].as_u64()),
        (Some(capital), Some(2))
    );
    assert_eq!(pool["bonds_held"], 100);
    assert_eq!(pool["voting_claims"], 1_500);
    let owner = alice.pubkey().to_string();
    let u = cli_read(&chain, &["underwriter", &ma, "--owner", &owner], None).unwrap();
    assert_eq!(u["shares"].as_u64(), Some(10_000_000_000));
    // Exits are priced net of the claims still voting.
    assert_eq!(
        u["value"].as_u64(),
        Some(state.value_of(10_000_000_000).unwrap())
    );
    assert!(u["value"].as_u64().unwrap() < capital - 1_500 + 1);
    let m = cli_read(&chain, &["member", &ma], Some(trader.pubkey())).unwrap();
    assert_eq!(
        (
            m["covered_amount"].as_u64(),
            m["open_claim"].as_str(),
            m["claims_filed"].as_u64(),
            m["claimable"].as_u64()
        ),
        (
            Some(4_000),
            Some(first.to_string().as_str()),
            Some(1),
            Some(3_000)
        )
    );
    // The claims of A (found by scanning, not B's), by pool-wide number.
    let claims = cli_read(&chain, &["claims", &ma], None).unwrap();
    let claims = claims.as_array().unwrap();
    assert_eq!(claims.len(), 2);
    let c = &claims[0];
    assert_eq!(
        (
            c["id"].as_u64(),
            c["claim"].as_str(),
            c["status"].as_str(),
            c["amount"].as_u64(),
            c["quorum_bps"].as_u64()
        ),
        (
            Some(0),
            Some(first.to_string().as_str()),
            Some("Voting"),
            Some(1_000),
            Some(2_000)
        )
    );
    assert_eq!(
        (
            claims[1]["id"].as_u64(),
            claims[1]["claimant_index"].as_u64(),
            claims[1]["claimant"].as_str()
        ),
        (Some(1), Some(0), Some(other.pubkey().to_string().as_str()))
    );
    // The claim commands resolve a pool-wide id the same way.
    assert_eq!(find_claim(&chain, &a.pool, 1).unwrap().0, second);
    assert_eq!(find_claim(&chain, &b.pool, 0).unwrap().0, in_b);
    assert!(find_claim(&chain, &a.pool, 2)
        .unwrap_err()
        .contains("no claim 2"));
    // Without --owner or a keypair, a position read says what is missing.
    assert!(cli_read(&chain, &["member", &ma], None)
        .unwrap_err()
        .contains("--owner"));
    // An unknown market is a clear error, not a panic.
    let unknown = Pubkey::new_unique().to_string();
    assert!(cli_read(&chain, &["pool", &unknown], None)
        .unwrap_err()
        .contains("not found"));
}

/// Runs `insurance-pool actuary <args>` (parsed by clap) on the sample history and
/// pool shipped in `actuary/data`, writing into a fresh directory.
fn actuary_cli(
    chain: Option<&dyn Chain>,
    extra: &[&str],
    json: bool,
) -> CliResult<(String, std::path::PathBuf)> {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let out = std::env::temp_dir().join(format!(
        "actuary-test-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../actuary/data");
    let history = format!("{data}/sample-losses.csv");
    let out_s = out.to_string_lossy().to_string();
    let mut argv = vec![
        "insurance-pool",
        "actuary",
        "--history",
        &history,
        "--out",
        &out_s,
        "--paths",
        "4000",
        "--search-paths",
        "2000",
        "--bootstrap",
        "40",
    ];
    let pool = format!("{data}/sample-pool.json");
    if !extra.contains(&"--market") {
        argv.extend(["--pool-config", &pool]);
    }
    argv.extend_from_slice(extra);
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let Command::Actuary(args) = cli.command else {
        panic!("not the actuary command")
    };
    crate::actuary_cmd::run(chain, &args, json).map(|s| (s, out))
}

#[test]
fn actuary_writes_the_report_with_its_plots_from_the_sample_history() {
    let (summary, dir) = actuary_cli(None, &["--seed", "7"], false).unwrap();
    assert!(
        summary.contains("ruin") && summary.contains("insurance-pool update-params"),
        "{summary}"
    );
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    for section in [
        "## Pool",
        "## Loss model",
        "## Solvency",
        "## Recommendation",
        "Anderson-Darling",
    ] {
        assert!(report.contains(section), "missing {section}");
    }
    for plot in ["capital-fan.svg", "severity.svg", "ruin-vs-base-rate.svg"] {
        let svg = std::fs::read_to_string(dir.join(plot)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("<polyline") && svg.contains("<text"),
            "{plot}"
        );
        assert!(report.contains(&format!("({plot})")), "{plot} not linked");
    }
    let analysis: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("analysis.json")).unwrap()).unwrap();
    let rec = &analysis["recommendation"];
    // The sample pool misses the 0.5 % target; the recommendation meets it.
    assert!(rec["current_ruin"].as_f64().unwrap() > 0.005, "{rec}");
    assert!(rec["ruin_at_base_rate"].as_f64().unwrap() <= 0.005, "{rec}");
    let base = rec["base_rate"].as_u64().unwrap();
    assert!(base > 50 && summary.contains(&format!("--base-rate {base}")));
    // Same seed, other thread count: the same numbers.
    let (_, again) = actuary_cli(None, &["--seed", "7", "--threads", "1"], false).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("analysis.json")).unwrap(),
        std::fs::read_to_string(again.join("analysis.json")).unwrap()
    );
    let (json, _) = actuary_cli(None, &["--seed", "7", "--parameter-uncertainty"], true).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        v["ruin_probability"].as_f64().unwrap() > 0.0 && v["files"].as_array().unwrap().len() == 5
    );
    // At 95 % confidence over the bootstrap replicates the base rate is higher than
    // the point estimate's (the backtest's finding), and the summary says so.
    let (text, conf_dir) =
        actuary_cli(None, &["--seed", "7", "--confidence", "95"], false).unwrap();
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(conf_dir.join("analysis.json")).unwrap())
            .unwrap();
    let r = &conf["recommendation"];
    assert_eq!(r["confidence"].as_f64(), Some(0.95), "{r}");
    assert!(r["share_meeting_target"].as_f64().unwrap() >= 0.95, "{r}");
    let at_confidence = r["base_rate"].as_u64().unwrap();
    assert!(at_confidence > base, "{at_confidence} <= {base}");
    assert!(
        text.contains("at 95 % confidence")
            && text.contains(&format!("--base-rate {at_confidence}")),
        "{text}"
    );
    assert!(Cli::try_parse_from(["insurance-pool", "actuary", "--confidence", "0"]).is_err());
    for d in [dir, again, conf_dir] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn actuary_refuses_incomplete_or_invalid_inputs() {
    let e = Cli::try_parse_from(["insurance-pool", "actuary", "--history", "x.csv"]).unwrap_err();
    assert!(e.to_string().contains("--pool-config"), "{e}");
    assert!(actuary_cli(None, &["--target", "1.5"], false)
        .unwrap_err()
        .contains("target"));
    assert!(actuary_cli(None, &["--paths", "0"], false)
        .unwrap_err()
        .contains("paths"));
    let market = Pubkey::new_unique().to_string();
    assert!(actuary_cli(None, &["--market", &market], false)
        .unwrap_err()
        .contains("chain"));
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "actuary",
        "--history",
        "/nonexistent.csv",
        "--pool-config",
        "/nonexistent.json",
    ])
    .unwrap();
    let Command::Actuary(args) = cli.command else {
        panic!()
    };
    assert!(crate::actuary_cmd::run(None, &args, false)
        .unwrap_err()
        .contains("/nonexistent.json"));
}

#[tokio::test]
async fn actuary_reads_the_pool_model_from_the_chain() {
    let mut env = TestEnv::new().await;
    let a = env.create_pool(TOKEN).await;
    let b = env.create_pool(TOKEN).await;
    let alice = env.user(&a, 100_000).await;
    env.deposit(&alice, &a, 100_000).await;
    let trader = env.user(&a, 10_000).await;
    let ix = contribute_premium(&trader.pubkey(), &a, &trader.token, None, 40_000, u64::MAX);
    env.ok(&[ix], &[&trader.key]).await;
    let limits = exchange::limits(7_000, 9_000, 3_600);
    let authority = env.authority.insecure_clone();
    let payer = env.payer();
    // Exchange authorities are PDAs (off the curve).
    let pda = |seed: &[u8]| Pubkey::find_program_address(&[seed], &Pubkey::new_unique()).0;
    let venue = pda(b"venue");
    let ix = register_exchange(&payer, &authority.pubkey(), &a, venue, &alice.token, limits);
    env.ok(&[ix], &[&authority]).await;
    let other = pda(b"other");
    let bob = env.user(&b, 0).await;
    let ix = register_exchange(&payer, &authority.pubkey(), &b, other, &bob.token, limits);
    env.ok(&[ix], &[&authority]).await;
    let reg_a = insurance_pool_sdk::pda::exchange(&a.pool, &venue).0;
    let reg_b = insurance_pool_sdk::pda::exchange(&b.pool, &other).0;
    let protocol = insurance_pool_sdk::pda::protocol().0;
    let chain = Snapshot::take(
        &mut env,
        &[a.pool, a.exposure, b.pool, protocol, reg_a, reg_b],
    )
    .await;
    let pool = env.pool(&a).await;
    // The exchange whose caps are modelled is named, never guessed: without --exchange
    // the command refuses and lists the pool's registrations.
    let e = model_from_chain(&chain, &a.market, None).unwrap_err();
    assert!(
        e.contains("--exchange")
            && e.contains(&format!("has 1: {reg_a} (authority {venue}, active)"))
            && !e.contains(&reg_b.to_string()),
        "{e}"
    );
    // By its authority or its registration address: the same caps.
    let (by_authority, _) = model_from_chain(&chain, &a.market, Some(venue)).unwrap();
    let (model, decimals) = model_from_chain(&chain, &a.market, Some(reg_a)).unwrap();
    assert_eq!(
        serde_json::to_value(&by_authority).unwrap(),
        serde_json::to_value(&model).unwrap()
    );
    assert_eq!(
        (model.capital, model.exposure, decimals),
        (pool.capital, 40_000, pool.mint_decimals)
    );
    assert_eq!(
        (model.per_event_cap, model.per_epoch_cap, model.epoch_length),
        (7_000, 9_000, 3_600)
    );
    assert_eq!(
        (model.curve, model.coverage_duration),
        (pool.params.curve, pool.params.coverage_duration)
    );
    assert_eq!(model.max_exposure_bps, pool.params.max_exposure_bps);
    let fee: insurance_pool_sdk::state::Protocol = crate::fetch(&chain, &protocol).unwrap();
    assert_eq!(model.protocol_fee_bps, fee.protocol_fee_bps as u64);
    // The volume side: the curve, no losses yet (the loss index `quote_volume` uses
    // now), so the base rate; the volume per day comes from the pool's transactions,
    // not from the model.
    let q = env.quote_volume(&a, 1).await;
    assert_eq!(
        (model.volume, model.loss_index, model.volume_per_day),
        (pool.params.volume, q.loss_index, 0)
    );
    assert_eq!((model.initial_volume_rate(), q.loss_index), (q.rate_bps, 0));
    // Another pool's registration is refused by name.
    let e = model_from_chain(&chain, &a.market, Some(reg_b)).unwrap_err();
    assert!(e.contains("another pool"), "{e}");
    // B's authority is not an exchange of A, nor is a random key.
    for key in [other, Pubkey::new_unique()] {
        let e = model_from_chain(&chain, &a.market, Some(key)).unwrap_err();
        assert!(e.contains("neither an exchange registration"), "{e}");
    }
    // A pool without registrations has no caps to model.
    let lone = env.create_pool(TOKEN).await;
    let lone_chain = Snapshot::take(&mut env, &[lone.pool, lone.exposure, protocol, reg_a]).await;
    let e = model_from_chain(&lone_chain, &lone.market, None).unwrap_err();
    assert!(e.contains("no exchange registration"), "{e}");
    // The whole command against the chain: the report is labelled with the market.
    let market = a.market.to_string();
    let reg = reg_a.to_string();
    let e = actuary_cli(Some(&chain), &["--market", &market], false).unwrap_err();
    assert!(e.contains("--exchange"), "{e}");
    let (summary, dir) = actuary_cli(
        Some(&chain),
        &["--market", &market, "--exchange", &reg],
        false,
    )
    .unwrap();
    assert!(summary.contains("ruin"), "{summary}");
    assert!(std::fs::read_to_string(dir.join("report.md"))
        .unwrap()
        .contains(&market));
    // --exchange names a chain's exchange: --pool-config has its caps already.
    assert!(actuary_cli(None, &["--exchange", &reg], false).is_err());
    // Losses from the chain need a transaction history this snapshot does not have.
    let argv = [
        "insurance-pool",
        "actuary",
        "--market",
        &market,
        "--exchange",
        &reg,
    ];
    let Command::Actuary(args) = Cli::try_parse_from(argv).unwrap().command else {
        panic!()
    };
    assert!(crate::actuary_cmd::run(Some(&chain), &args, false)
        .unwrap_err()
        .contains("--history"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A market of the example exchange with its insured pool, and the losses of its life:
/// a shortfall reported before the registration is active (paid 0, still recorded), a
/// paid claim and a claim still voting, then two shortfalls covered up to the
/// per-event cap (600 of 1 000 each). `history` is what a node returns for the pool's
/// address; `keys` the accounts to snapshot.
struct LossWorld {
    env: TestEnv,
    venue: exchange::Venue,
    history: Vec<TransactionLogs>,
    keys: Vec<Pubkey>,
    paid_claim: Pubkey,
}

use insurance_pool_testkit::exchange;

/// The logs of `out` as a node returns them. Natively `emit!` logs nothing (see
/// `Outcome::event`), so there the event line the SBF program writes (a
/// `ShortfallCovered`, a `VolumeContributed`) is put back where it writes it: in the
/// insurance program's frame.
fn node_logs<E: anchor_lang::Event + AnchorDeserialize + anchor_lang::Discriminator>(
    out: &Outcome,
    signature: &str,
    time: i64,
    event: Option<E>,
) -> TransactionLogs {
    use base64::Engine;
    let mut logs = out.logs.clone();
    if let Some(event) = event.filter(|_| out.events::<E>().is_empty()) {
        assert_eq!(
            out.runtime,
            Runtime::Native,
            "the SBF program logs its events"
        );
        let line = format!(
            "Program data: {}",
            base64::engine::general_purpose::STANDARD.encode(event.data())
        );
        let invoke = format!("Program {} invoke", insurance_pool::ID);
        match logs.iter().position(|l| l.starts_with(&invoke)) {
            Some(i) => logs.insert(i + 1, line),
            None => logs.extend([
                format!("{invoke} [2]"),
                line,
                format!("Program {} success", insurance_pool::ID),
            ]),
        }
    }
    TransactionLogs {
        signature: signature.to_string(),
        block_time: Some(time),
        logs,
    }
}

/// A trader who deposits `collateral` and opens `size` at the oracle's price, paying
/// the pool's volume fee once the registration is active; the node's logs of it
/// (signature `name`).
async fn trade(
    env: &mut TestEnv,
    v: &exchange::Venue,
    collateral: u64,
    size: i64,
    name: &str,
) -> (User, TransactionLogs) {
    let trader = env.user(&v.keys.pool, collateral).await;
    let t = trader.pubkey();
    let before = env.pool(&v.keys.pool).await;
    let out = env
        .ok(
            &[
                exchange::deposit_collateral(&t, &v.keys, &trader.token, collateral),
                exchange::open_position(&t, &v.keys, size, u64::MAX, None),
            ],
            &[&trader.key],
        )
        .await;
    let p = env.pool(&v.keys.pool).await;
    let now = env.now().await;
    let event = (p.total_volume > before.total_volume).then(|| VolumeContributed {
        pool: v.keys.pool.pool,
        registration: v.keys.registration(),
        volume: p.total_volume - before.total_volume,
        rate_bps: p.volume_rate_bps,
        fee: p.total_volume_fees - before.total_volume_fees,
        protocol_fee: 0,
        loss_index: p.volume_loss_at(now),
        free_capital: p.free_capital(),
        pool_capital: p.capital,
    });
    (trader, node_logs(&out, name, now, event))
}

/// Liquidates a trader 1 000 under water at the oracle's 800; the node's logs of the
/// trader's trade (`trade-{n}`) and of the liquidation (`liquidation-{n}`). The trader
/// brings the volume fee on top of its 1 000 of collateral (once the registration is
/// active the trade pays it from the collateral), so every shortfall is exactly 1 000.
async fn liquidation(env: &mut TestEnv, v: &exchange::Venue, n: u64) -> Vec<TransactionLogs> {
    v.publish(env, 1_000).await;
    let active = v.registration(env).await.active_from <= env.now().await;
    let fee = match active {
        true => env.quote_volume(&v.keys.pool, 10_000).await.fee,
        false => 0,
    };
    let (trader, traded) = trade(env, v, 1_000 + fee, 10, &format!("trade-{n}")).await;
    v.publish(env, 800).await;
    let before: Market = env.fetch(v.keys.market).await;
    let nonce = v.registration(env).await.next_nonce;
    let payer = env.payer();
    let out = env
        .ok(&[v.liquidate_ix(&payer, &trader.pubkey())], &[])
        .await;
    let market: Market = env.fetch(v.keys.market).await;
    let covered = market.insured_loss - before.insured_loss;
    let registration = v.registration(env).await;
    let event = ShortfallCovered {
        pool: v.keys.pool.pool,
        registration: v.keys.registration(),
        nonce,
        amount: 1_000,
        covered,
        uncovered: 1_000 - covered,
        limited_by: if covered == 0 {
            CoverLimit::Suspended
        } else {
            CoverLimit::PerEvent
        },
        epoch_paid: registration.epoch_paid,
        pool_capital: env.pool(&v.keys.pool).await.capital,
    };
    let now = env.now().await;
    vec![
        traded,
        node_logs(&out, &format!("liquidation-{n}"), now, Some(event)),
    ]
}

async fn loss_world() -> LossWorld {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let limits = exchange::limits(600, 5_000, DAY);
    let (v, underwriter) =
        exchange::Venue::insured(&mut env, 1, mint, 1_000, default_params(), limits, 100_000).await;
    let pool = v.keys.pool;
    let mut history = liquidation(&mut env, &v, 0).await;
    assert_eq!(env.pool(&pool).await.loss_stats.total_covered, 0);
    // A member buys cover; once the underwriter's shares can vote, it files. (A second
    // member files after the shortfalls: a claim voting stops the exit clock, which the
    // registration's activation is on.)
    let member = env.user(&pool, 10_000).await;
    let waiting = env.user(&pool, 10_000).await;
    buy(&mut env, &pool, &member, 5_000).await;
    env.warp(DAY).await; // the cover matures
    env.season(&pool).await;
    let file = |who: &User, amount: u64| {
        file_claim(
            &who.pubkey(),
            &pool,
            0,
            &who.token,
            amount,
            [3; 32],
            "ipfs://x",
        )
    };
    env.ok(&[file(&member, 2_000)], &[&member.key]).await;
    let paid_claim = claim_address(&pool, &member.pubkey(), 0);
    let ix = cast_vote(&underwriter.pubkey(), &pool, &paid_claim, true);
    env.ok(&[ix], &[&underwriter.key]).await;
    env.warp(3 * DAY).await;
    env.ok(&[finalize_claim(&pool, &paid_claim, &member.pubkey())], &[])
        .await;
    env.warp(2 * DAY).await;
    let ix = pay_claim(&pool, &paid_claim, &member.pubkey(), &member.token);
    let out = env.ok(&[ix], &[]).await;
    let now = env.now().await;
    // The payout's transaction is in the history too; its `ClaimPaid` is not a loss
    // of the logs (claims come from their accounts).
    history.push(node_logs(&out, "pay", now, None::<ShortfallCovered>));
    let claim: Claim = env.fetch(paid_claim).await;
    assert_eq!((claim.status.get(), claim.paid), (ClaimStatus::Paid, 2_000));
    // Once the registration is active (on the exit clock, which stood still while the
    // claim voted), two shortfalls covered up to the cap.
    let active_from = v.registration(&mut env).await.active_from;
    env.warp_exit_clock_to(&pool, active_from).await;
    history.extend(liquidation(&mut env, &v, 1).await);
    history.extend(liquidation(&mut env, &v, 2).await);
    // The second member's claim, still voting when the history is read.
    buy(&mut env, &pool, &waiting, 5_000).await;
    env.warp(DAY).await;
    env.ok(&[file(&waiting, 1_000)], &[&waiting.key]).await;
    let voting_claim = claim_address(&pool, &waiting.pubkey(), 0);
    let p = env.pool(&pool).await;
    let stats = p.loss_stats;
    assert_eq!(
        (stats.count, stats.total_reported, stats.total_covered),
        (3, 3_000, 1_200)
    );
    // The volume rate's loss index: the two shortfalls of the active registration, each
    // capped at its per-event limit (600); the first, before activation, adds nothing
    // (the second decays the first by 5 % if the two fall on different days).
    let first = insurance_pool::math::decayed_loss(600, 500, 1);
    assert!(
        [1_200, first + 600].contains(&p.volume_loss),
        "{}",
        p.volume_loss
    );
    // A node returns the newest first.
    history.reverse();
    let keys = vec![
        pool.pool,
        pool.exposure,
        insurance_pool_sdk::pda::protocol().0,
        v.keys.registration(),
        paid_claim,
        voting_claim,
    ];
    LossWorld {
        env,
        venue: v,
        history,
        keys,
        paid_claim,
    }
}

impl LossWorld {
    async fn chain(&mut self, history: Vec<TransactionLogs>) -> Snapshot {
        let mut chain = Snapshot::take(&mut self.env, &self.keys).await;
        chain.history = Some(history);
        chain
    }
}

#[tokio::test]
async fn actuary_history_from_the_chain_reconciles_with_the_pools_loss_stats() {
    let mut w = loss_world().await;
    let chain = w.chain(w.history.clone()).await;
    let pool = w.env.pool(&w.venue.keys.pool).await;
    let h = chain_history(&chain, &w.venue.keys.market).unwrap();
    // Observed over the pool's life: three shortfalls of 1 000 (also the one paid 0)
    // and the paid claim (2 000, dated by its filing, from its account; the claim still
    // voting is no loss yet).
    assert_eq!((h.start, h.end), (pool.created_at, chain.now));
    let claim: Claim = w.env.fetch(w.paid_claim).await;
    let mut amounts: Vec<(i64, u64)> = h.events.iter().map(|e| (e.time, e.amount)).collect();
    amounts.sort_by_key(|&(_, a)| a);
    assert_eq!(amounts.len(), 4, "{amounts:?}");
    assert_eq!(amounts[3], (claim.filed_at, 2_000));
    assert!(amounts[..3].iter().all(|&(_, a)| a == 1_000));
    // The whole command: the history passes the reconciliation and reaches the fit,
    // which says it is too short.
    let market = w.venue.keys.market.to_string();
    let authority = w.venue.keys.authority.to_string();
    let argv = [
        "insurance-pool",
        "actuary",
        "--market",
        &market,
        "--exchange",
        &authority,
    ];
    let Command::Actuary(args) = Cli::try_parse_from(argv).unwrap().command else {
        panic!()
    };
    let e = crate::actuary_cmd::run(Some(&chain), &args, false).unwrap_err();
    assert!(e.contains("4 losses: at least 20 are needed"), "{e}");

    // The volume from the same transactions: the two trades made once the registration
    // was active paid the fee (the first, before, paid none and logged nothing); they
    // add up to the pool's total_volume and were made within the last day, so the
    // window is that day.
    assert_eq!(pool.total_volume, 20_000);
    let v = chain_volume(&chain, &w.venue.keys.market, 30 * DAY).unwrap();
    assert_eq!(
        (v.contributions, v.volume, v.volume_per_day, v.end - v.start),
        (2, 20_000, 20_000, DAY)
    );
    // The whole command with the losses given and the volume from the chain: the
    // summary says where the volume came from, the report and analysis carry it.
    let (summary, dir) = actuary_cli(
        Some(&chain),
        &["--market", &market, "--exchange", &authority],
        false,
    )
    .unwrap();
    assert!(
        summary.contains("volume        0.02 tokens a day (2 contributions of 0.02 tokens over 1.0 days on chain)"),
        "{summary}"
    );
    let analysis: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("analysis.json")).unwrap()).unwrap();
    assert_eq!(analysis["model"]["volume_per_day"], 20_000);
    assert_eq!(analysis["model"]["volume"]["loss_slope"], 500);
    assert_eq!(
        analysis["model"]["loss_index"],
        pool.volume_loss_at(chain.now)
    );
    assert!(pool.volume_loss_at(chain.now) > 0);
    assert!(
        analysis["simulation"]["mean_volume_income"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(std::fs::read_to_string(dir.join("report.md"))
        .unwrap()
        .contains("volume per day (tokens) | 0.02 |"));
    std::fs::remove_dir_all(dir).unwrap();
    // --volume-per-day overrides the chain's (and reads no volume history).
    let (json, dir) = actuary_cli(
        Some(&chain),
        &[
            "--market",
            &market,
            "--exchange",
            &authority,
            "--volume-per-day",
            "5000",
        ],
        true,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["volume_per_day"], 5_000);
    assert!(v["volume_estimate"].is_null());
    std::fs::remove_dir_all(dir).unwrap();

    // A node that lost a trade: the volume does not reconcile and the command refuses,
    // naming the way out.
    let lost: Vec<_> = w
        .history
        .iter()
        .filter(|t| t.signature != "trade-2")
        .cloned()
        .collect();
    let chain = w.chain(lost).await;
    let e = chain_volume(&chain, &w.venue.keys.market, 30 * DAY).unwrap_err();
    assert!(
        e.contains("events total 10000, its total_volume says 20000: 10000 of volume missing")
            && e.contains("--volume-per-day"),
        "{e}"
    );
    let e = actuary_cli(
        Some(&chain),
        &["--market", &market, "--exchange", &authority],
        false,
    )
    .unwrap_err();
    assert!(e.contains("10000 of volume missing"), "{e}");
}

#[tokio::test]
async fn actuary_refuses_a_history_that_does_not_reconcile() {
    let mut w = loss_world().await;
    let market = w.venue.keys.market;
    // Someone padded a liquidation until its logs were truncated: its event is gone.
    let mut padded = w.history.clone();
    let i = padded
        .iter()
        .position(|t| t.signature == "liquidation-1")
        .unwrap();
    let cut = padded[i]
        .logs
        .iter()
        .position(|l| l.starts_with("Program data: "))
        .unwrap();
    padded[i].logs.truncate(cut);
    padded[i].logs.push("Log truncated".into());
    let e = chain_history(&w.chain(padded).await, &market).unwrap_err();
    assert!(
        e.starts_with(
            "history has 2 shortfalls totalling 2000, the pool's loss_stats say 3 totalling \
             3000: 1 event missing (1 of the pool's transactions have truncated logs)"
        ),
        "{e}"
    );
    // A node that lost a transaction: the same gap, without truncated logs to blame.
    let lost: Vec<_> = w
        .history
        .iter()
        .filter(|t| t.signature != "liquidation-0")
        .cloned()
        .collect();
    let e = chain_history(&w.chain(lost).await, &market).unwrap_err();
    assert!(e.contains("1 event missing (truncated logs?)"), "{e}");
    // The same event from another program's frame does not fill the gap.
    let mut forged = w.history.clone();
    let stolen = forged[i]
        .logs
        .iter()
        .find(|l| l.starts_with("Program data: "))
        .unwrap()
        .clone();
    forged[i].logs.retain(|l| *l != stolen);
    forged.push(TransactionLogs {
        signature: "forged".into(),
        block_time: Some(1),
        logs: vec![
            "Program 11111111111111111111111111111111 invoke [1]".into(),
            stolen,
            "Program 11111111111111111111111111111111 success".into(),
        ],
    });
    let e = chain_history(&w.chain(forged).await, &market).unwrap_err();
    assert!(e.contains("1 event missing"), "{e}");
    // A paid claim whose account the node did not return.
    let keys: Vec<Pubkey> = w
        .keys
        .iter()
        .copied()
        .filter(|k| *k != w.paid_claim)
        .collect();
    let mut chain = Snapshot::take(&mut w.env, &keys).await;
    chain.history = Some(w.history.clone());
    let e = chain_history(&chain, &market).unwrap_err();
    assert!(
        e.contains(
            "0 paid claims paying 0, its total_claims_paid says 2000: claim accounts missing"
        ),
        "{e}"
    );
}

#[test]
fn the_whole_signature_history_is_paged() {
    // 12 345 signatures, newest first, served 1 000 a page before a cursor.
    let all: Vec<u64> = (0..12_345).rev().collect();
    let mut calls = 0;
    let got = all_pages(
        |last: Option<&u64>| {
            calls += 1;
            let from = last.map_or(0, |l| all.iter().position(|x| x == l).unwrap() + 1);
            Ok(all[from..].iter().take(1_000).copied().collect())
        },
        |x| x.to_string(),
    )
    .unwrap();
    assert_eq!(got, all);
    assert_eq!(
        calls, 14,
        "13 pages and the empty one that ends the history"
    );
    // A node ignoring the cursor is refused, not looped on.
    let e = all_pages(|_: Option<&u64>| Ok(vec![1, 2]), |x| x.to_string()).unwrap_err();
    assert!(e.contains("twice"), "{e}");
}

/// Market 1 of the example exchange (price 1 000) insured by a pool of `default_params()` with
/// 100 000 from one underwriter and a registration capped at 600 per event, 5 000 a day.
async fn insured_venue(env: &mut TestEnv) -> exchange::Venue {
    let mint = env.create_mint(TOKEN).await;
    let limits = exchange::limits(600, 5_000, DAY);
    exchange::Venue::insured(env, 1, mint, 1_000, default_params(), limits, 100_000)
        .await
        .0
}

#[tokio::test]
async fn volume_rate_shows_what_contribute_volume_charges_now_and_its_inputs() {
    use insurance_pool::math::{day_of, decayed_loss, volume_target_rate};
    let mut env = TestEnv::new().await;
    let v = insured_venue(&mut env).await;
    let pool = v.keys.pool;
    let market = pool.market.to_string();
    let keys = [
        pool.pool,
        pool.exposure,
        insurance_pool_sdk::pda::protocol().0,
    ];
    let read = async |env: &mut TestEnv, extra: &[&str]| {
        let chain = Snapshot::take(env, &keys).await;
        let mut args = vec!["volume-rate", market.as_str()];
        args.extend_from_slice(extra);
        (cli_read(&chain, &args, None).unwrap(), chain)
    };
    // A new pool charges the curve's base rate, has no loss index and has traded
    // nothing.
    let (fresh, _) = read(&mut env, &[]).await;
    assert_eq!(
        (
            fresh["rate_bps"].as_u64(),
            fresh["loss_index"].as_u64(),
            fresh["recorded_loss_index"].as_u64(),
            fresh["total_volume"].as_u64()
        ),
        (Some(2), Some(0), Some(0), Some(0))
    );
    assert_eq!(
        (
            fresh["curve"]["loss_slope"].as_u64(),
            fresh["curve"]["loss_decay_per_day"].as_u64()
        ),
        (Some(500), Some(500))
    );
    assert!(fresh["quote"].is_null() && fresh["pending_curve"].is_null());
    assert_eq!(fresh["contributions_paused"], false);

    // Active: a trade pays the base rate, a liquidation of 1 000 adds its per-event
    // limit (600) to the loss index, and the next trade pays the risen rate.
    let active_from = v.registration(&mut env).await.active_from;
    exchange::warp_to(&mut env, active_from).await;
    liquidation(&mut env, &v, 1).await;
    v.publish(&mut env, 1_000).await;
    trade(&mut env, &v, 1_000, 10, "trade-2").await;
    let state = env.pool(&pool).await;
    assert_eq!((state.total_volume, state.volume_loss), (20_000, 600));
    assert!(state.volume_rate_bps > 2, "{}", state.volume_rate_bps);

    let check = async |env: &mut TestEnv| {
        // 1 token of 6 decimals: 1,000,000 base units.
        let (json, chain) = read(env, &["--volume", "1"]).await;
        // The numbers `quote_volume` returns on chain at the same time.
        let q = env.quote_volume(&pool, 1_000_000).await;
        assert_eq!(env.now().await, chain.now, "quoted at the snapshot's time");
        assert_eq!(
            (
                json["rate_bps"].as_u64(),
                json["loss_index"].as_u64(),
                json["free_capital"].as_u64(),
                json["quote"]["fee"].as_u64(),
                json["quote"]["protocol_fee"].as_u64(),
                json["quote"]["volume"].as_u64()
            ),
            (
                Some(q.rate_bps),
                Some(q.loss_index),
                Some(q.free_capital),
                Some(q.fee),
                Some(q.protocol_fee),
                Some(1_000_000)
            )
        );
        let now = env.pool_now(&pool).await;
        assert_eq!(json["free_capital"], now.free_capital());
        assert_eq!(json["capital"], now.capital);
        // The index decays from the recorded one, by whole days since its day.
        assert_eq!(json["recorded_loss_index"], now.volume_loss);
        assert_eq!(json["recorded_loss_day"], now.volume_loss_day);
        let days = day_of(chain.now) - now.volume_loss_day;
        assert_eq!(json["days_decayed"], days);
        assert_eq!(json["loss_index"], now.volume_loss_at(chain.now));
        assert_eq!(
            json["loss_index"],
            decayed_loss(now.volume_loss, 500, days as u64)
        );
        assert_eq!(json["last_rate_bps"], now.volume_rate_bps);
        assert_eq!(json["total_volume"], 20_000);
        assert_eq!(json["total_volume_fees"], now.total_volume_fees);
        // The rate is the curve's on the loss index and free capital after earning.
        assert_eq!(
            json["rate_bps"],
            volume_target_rate(&now.params.volume, q.loss_index, now.free_capital())
        );
        json
    };
    let risen = check(&mut env).await;
    let last = state.volume_rate_bps;
    assert_eq!(risen["rate_bps"], last, "the same state, the same rate");
    assert_eq!(risen["recorded_loss_index"], 600);
    let rate = |j: &serde_json::Value| j["rate_bps"].as_u64().unwrap();
    // The loss ages: two weeks forget half of it and the rate falls with it.
    env.warp(14 * DAY).await;
    let aged = check(&mut env).await;
    let days = aged["days_decayed"].as_u64().unwrap();
    assert!(days >= 14, "{days}");
    assert_eq!(aged["loss_index"], decayed_loss(600, 500, days));
    assert!(rate(&aged) < last, "{aged}");
    assert_eq!(aged["last_rate_bps"], last, "nothing charged since");
    // More capital lowers the rate at once (the same loss is a smaller part of it):
    // nothing is smoothed.
    let underwriter = env.user(&pool, 900_000).await;
    env.deposit(&underwriter, &pool, 900_000).await;
    let lowered = check(&mut env).await;
    assert!(rate(&lowered) < rate(&aged), "{lowered}");
    assert_eq!(lowered["loss_index"], aged["loss_index"]);
    // The detail table shows the same.
    let table = render::detail(&lowered);
    assert!(
        table.contains("loss_index") && table.contains("recorded_loss_day"),
        "{table}"
    );
    // The pool's own read shows the last charged rate, the recorded loss index and its
    // day, the totals and the curve.
    let chain = Snapshot::take(&mut env, &keys).await;
    let json = cli_read(&chain, &["pool", &market], None).unwrap();
    assert_eq!(
        (
            json["volume_rate_bps"].as_u64(),
            json["volume_loss"].as_u64(),
            json["volume_loss_day"].as_i64(),
            json["total_volume"].as_u64(),
            json["params"]["volume"]["max_rate"].as_u64(),
            json["params"]["volume"]["loss_decay_per_day"].as_u64()
        ),
        (
            Some(last),
            Some(600),
            Some(state.volume_loss_day),
            Some(20_000),
            Some(50),
            Some(500)
        )
    );
    // Forgotten: once the index decays to nothing, the base rate again.
    env.warp(120 * DAY).await;
    let forgotten = check(&mut env).await;
    assert_eq!(
        (forgotten["loss_index"].as_u64(), rate(&forgotten)),
        (Some(0), 2)
    );

    // The engine's volume rule is the program's: on this pool, for any recorded index,
    // its age, capital and reserve, `PoolModel::decayed_loss_index` and `volume_rate`
    // give `Pool::volume_quote`'s loss index and rate, and `record_volume_loss` records
    // a shortfall as `cover_shortfall` does (`Pool::record_volume_loss` with the
    // per-event limit).
    let mut with_registration = keys.to_vec();
    with_registration.push(v.keys.registration());
    let chain = Snapshot::take(&mut env, &with_registration).await;
    let (model, _) = model_from_chain(&chain, &pool.market, Some(v.keys.authority)).unwrap();
    assert_eq!(model.volume, DEFAULT_VOLUME);
    assert_eq!((model.loss_index, model.per_event_cap), (0, 600));
    let protocol: Protocol = crate::fetch(&chain, &keys[2]).unwrap();
    let mut m = model.clone();
    let mut p = env.pool_now(&pool).await;
    let now = chain.now;
    let today = day_of(now);
    for (recorded, age, capital, reserved) in [
        (0, 0, 100_000, 0),
        (600, 0, 100_000, 0),
        (1_002, 1, 100_000, 0),
        (1_002, 10, 100_000, 60_000),
        (5_000, 3, 10_000, 0),
        (5_000, 0, 10_000, 10_000),
        (20_000, 30, 1_000_000, 0),
        (u64::MAX, 2, 1_000_000, 0),
        (1, 0, u64::MAX, 0),
    ] {
        (p.volume_loss, p.volume_loss_day) = (recorded, today - age);
        (p.capital, p.reserved_for_claims) = (capital, reserved);
        m.reserved_for_claims = reserved;
        let q = p.volume_quote(1, protocol.protocol_fee_bps, now).unwrap();
        let index = m.decayed_loss_index(recorded, age);
        let context =
            format!("index {recorded} {age} days old, capital {capital}, reserved {reserved}");
        assert_eq!(
            (index, m.volume_rate(index, capital)),
            (q.loss_index, q.rate_bps),
            "{context}"
        );
        for loss in [1, 599, 600, 5_000] {
            let mut after = p;
            after.record_volume_loss(loss.min(600), now);
            assert_eq!(
                m.record_volume_loss(recorded, today - age, loss, today),
                (after.volume_loss, after.volume_loss_day),
                "{context}, loss {loss}"
            );
        }
    }

    // A pending change of the curve is shown with its activation time (exit clock);
    // the rate stays the current curve's until then.
    let authority = env.authority.insecure_clone();
    let mut params = default_params();
    params.volume.base_rate = 5;
    params.volume.max_rate = 60;
    params.volume.loss_decay_per_day = 1_000;
    env.ok(
        &[update_pool_params(&authority.pubkey(), &pool, params)],
        &[&authority],
    )
    .await;
    let (pending, _) = read(&mut env, &[]).await;
    assert_eq!(
        (
            pending["pending_curve"]["base_rate"].as_u64(),
            pending["pending_curve"]["loss_decay_per_day"].as_u64()
        ),
        (Some(5), Some(1_000))
    );
    assert_eq!(
        pending["pending_curve"]["effective_at"],
        env.pool(&pool).await.pending_params_at
    );
    assert_eq!(pending["curve"]["base_rate"], 2);
    // Contributions paused: shown (the rate is still quoted, as `quote_volume` does).
    let guardian = env.guardian.insecure_clone();
    env.ok(
        &[set_pool_pause(&guardian.pubkey(), &pool, pause::PREMIUM)],
        &[&guardian],
    )
    .await;
    let (paused, _) = read(&mut env, &[]).await;
    assert_eq!(paused["contributions_paused"], true);
    // An unknown market is a clear error.
    let chain = Snapshot::take(&mut env, &keys).await;
    let unknown = Pubkey::new_unique().to_string();
    assert!(cli_read(&chain, &["volume-rate", &unknown], None)
        .unwrap_err()
        .contains("not found"));
}

/// Parses `args` as the CLI would and plans the write command on `chain` for `me`.
fn cli_plan(chain: &Snapshot, me: Pubkey, args: &[&str]) -> CliResult<crate::write::Plan> {
    let mut argv = vec!["insurance-pool"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let no_quote = |_: &PoolKeys, _: u64| -> CliResult<insurance_pool_sdk::state::PremiumQuote> {
        Err("no quote in this test".into())
    };
    crate::write::plan(chain, me, cli.command, &no_quote)
}

/// The authority commands (update-protocol, accept-authority, pause, update-exchange,
/// deactivate-exchange, update-params) planned from real accounts and run on the
/// embedded runtime: the program accepts what the CLI builds, the state changes as the
/// flags say, and the proposal output carries the same instructions.
#[tokio::test]
async fn authority_commands_plan_what_the_program_accepts() {
    let mut env = TestEnv::new().await;
    let v = insured_venue(&mut env).await;
    let pool = v.keys.pool;
    let market = pool.market.to_string();
    let authority = env.authority.insecure_clone();
    let a = authority.pubkey();
    let registration = v.keys.registration();
    let exchange_authority = v.keys.authority.to_string();
    let keys = [
        pool.pool,
        pool.exposure,
        registration,
        insurance_pool_sdk::pda::protocol().0,
    ];
    let successor = Keypair::new();
    let guardian = Pubkey::new_unique();
    let successor_key = successor.pubkey().to_string();
    let guardian_key = guardian.to_string();
    let steps: Vec<Vec<&str>> = vec![
        vec![
            "update-protocol",
            "--guardian",
            &guardian_key,
            "--pending-authority",
            &successor_key,
            "--protocol-fee-bps",
            "0",
        ],
        vec!["pause", "4", "--market", &market],
        vec![
            "update-exchange",
            &market,
            "--exchange-authority",
            &exchange_authority,
            "--per-event-cap",
            "0.0003",
        ],
        vec!["update-params", &market, "--base-rate", "75"],
        vec![
            "deactivate-exchange",
            &market,
            "--exchange-authority",
            &exchange_authority,
        ],
    ];
    for args in &steps {
        let chain = Snapshot::take(&mut env, &keys).await;
        let plan = cli_plan(&chain, a, args).unwrap();
        // The proposal output lists exactly these instructions.
        let proposal = crate::proposal(&plan.instructions);
        assert_eq!(proposal.as_array().unwrap().len(), plan.instructions.len());
        assert_eq!(
            proposal[0]["program_id"],
            plan.instructions[0].program_id.to_string()
        );
        env.ok(&plan.instructions, &[&authority]).await;
    }
    let protocol: Protocol = env.fetch(insurance_pool_sdk::pda::protocol().0).await;
    assert_eq!(
        (protocol.guardian, protocol.pending_authority),
        (guardian, successor.pubkey())
    );
    let state = env.pool(&pool).await;
    assert_eq!(state.paused, pause::PREMIUM);
    assert_eq!(state.pending_params.curve.base_rate, 75);
    let r = v.registration(&mut env).await;
    // A decrease applies at once; then the registration is deactivated.
    assert_eq!(r.limits.per_event_cap, 300);
    assert!(!r.is_active());

    // accept-authority, signed by the proposed key.
    let chain = Snapshot::take(&mut env, &keys).await;
    let plan = cli_plan(&chain, successor.pubkey(), &["accept-authority"]).unwrap();
    env.ok(&plan.instructions, &[&successor]).await;
    let protocol: Protocol = env.fetch(insurance_pool_sdk::pda::protocol().0).await;
    assert_eq!(protocol.authority, successor.pubkey());

    // A command that reads an account the chain does not have fails by naming it.
    let empty = Snapshot::take(&mut env, &[]).await;
    let err = cli_plan(
        &empty,
        a,
        &[
            "deactivate-exchange",
            &market,
            "--exchange-authority",
            &exchange_authority,
        ],
    )
    .unwrap_err();
    assert!(err.contains(&pool.pool.to_string()), "{err}");
}

/// `--output proposal` on a command that sends on its own, or `--signer` without
/// it, is refused before anything is read or sent.
#[test]
fn proposal_flags_are_refused_where_they_would_mislead() {
    let run = |args: &[&str]| {
        let mut argv = vec!["insurance-pool", "-u", "http://127.0.0.1:1"];
        argv.extend_from_slice(args);
        crate::run(Cli::try_parse_from(argv).unwrap()).unwrap_err()
    };
    let vault = Pubkey::new_unique().to_string();
    assert!(run(&["--output", "proposal", "keeper", "--once"]).contains("--output proposal"));
    assert!(run(&["--output", "proposal", "health"]).contains("--output proposal"));
    assert!(run(&["--signer", &vault, "pause", "1"]).contains("needs --output proposal"));
    // `init --authority` is init's own argument, not the proposal signer.
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "init",
        "--authority",
        &vault,
        "--guardian",
        &vault,
    ])
    .unwrap();
    assert!(cli.authority.is_none());
}

#[test]
fn proposal_output_and_hashes_parse() {
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "--output",
        "proposal",
        "--signer",
        &Pubkey::new_unique().to_string(),
        "accept-authority",
    ])
    .unwrap();
    assert_eq!(cli.output, crate::Output::Proposal);
    assert!(cli.authority.is_some());
    assert!(matches!(cli.command, Command::AcceptAuthority));
    assert_eq!(crate::write::hex32(&"ab".repeat(32)).unwrap(), [0xab; 32]);
    assert_eq!(
        crate::write::hex32(&format!("0x{}", "01".repeat(32))).unwrap(),
        [1; 32]
    );
    for bad in ["ab", &"zz".repeat(32), &"a".repeat(63)] {
        assert!(crate::write::hex32(bad).is_err(), "{bad}");
    }
}

/// Plans `args` for `signer` (the bank's payer when `None`) from a snapshot of
/// `watched`, runs the plan on the embedded runtime and returns its outcome. `quote`
/// stands for the CLI's simulated `quote_premium`.
async fn cli_send(
    env: &mut TestEnv,
    watched: &[Pubkey],
    signer: Option<&Keypair>,
    args: &[&str],
    quote: Option<insurance_pool_sdk::state::PremiumQuote>,
) -> Outcome {
    let chain = Snapshot::take(env, watched).await;
    let me = signer.map(|k| k.pubkey()).unwrap_or(env.payer());
    let mut argv = vec!["insurance-pool"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let q = |_: &PoolKeys, _: u64| quote.ok_or_else(|| "no quote".to_string());
    let plan =
        crate::write::plan(&chain, me, cli.command, &q).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let signers: Vec<&Keypair> = signer.into_iter().collect();
    env.ok(&plan.instructions, &signers).await
}

/// `voters` vote for the claim `member` filed as its `id`-th (pool-wide number `id`
/// too: one claimant here), the voting period passes, and `finalize` approves it.
async fn approve(
    env: &mut TestEnv,
    watched: &mut Vec<Pubkey>,
    keys: &PoolKeys,
    voters: &[&User],
    member: &User,
    id: u64,
) {
    let (m, claim_id) = (keys.market.to_string(), id.to_string());
    let claim = claim_address(keys, &member.pubkey(), id);
    for u in voters {
        watched.push(insurance_pool_sdk::pda::vote(&claim, &u.pubkey()).0);
        let vote = ["vote", &m, &claim_id, "--approve"];
        cli_send(env, watched, Some(&u.key), &vote, None).await;
    }
    env.warp(DEFAULT_GOVERNANCE.voting_period).await;
    cli_send(env, watched, None, &["finalize", &m, &claim_id], None).await;
    let c: Claim = env.fetch(claim).await;
    assert!(c.holdup_ends_at > 0, "approved");
}

/// Every write command of the CLI, planned from a snapshot of real accounts and run on
/// the embedded runtime in one pool's life: init, create-pool from the example
/// parameter file, register-exchange, deposit, contribute, file-claim, cancel-claim,
/// vote, finalize, pay, withdraw-bond, veto, cover-shortfall, contribute-volume,
/// request-, cancel- and complete-withdrawal (the authority commands are in
/// `authority_commands_plan_what_the_program_accepts`). Amounts are given in token
/// units (6 decimals) and land as base units; each step's effect is checked.
#[tokio::test]
async fn every_write_command_runs_on_the_embedded_runtime() {
    use insurance_pool_sdk::pda;
    let mut env = TestEnv::uninitialized().await;
    let authority = env.authority.insecure_clone();
    let guardian = env.guardian.insecure_clone();
    let (a, g) = (
        authority.pubkey().to_string(),
        guardian.pubkey().to_string(),
    );
    let mut watched = vec![pda::protocol().0];

    // init, signed by the upgrade authority (the payer).
    cli_send(
        &mut env,
        &watched,
        None,
        &["init", "--authority", &a, "--guardian", &g],
        None,
    )
    .await;
    let protocol: Protocol = env.fetch(pda::protocol().0).await;
    assert_eq!(
        (protocol.authority, protocol.guardian),
        (authority.pubkey(), guardian.pubkey())
    );

    // create-pool needs every parameter; the example file gives them all.
    let mint = env.create_mint(TOKEN).await;
    let market = Pubkey::new_unique();
    let keys = PoolKeys::new(market, mint, TOKEN);
    watched.extend([mint, keys.pool, keys.exposure]);
    let m = market.to_string();
    let mint_s = mint.to_string();
    let chain = Snapshot::take(&mut env, &watched).await;
    let err = cli_plan(
        &chain,
        authority.pubkey(),
        &["create-pool", &m, "--mint", &mint_s, "--base-rate", "50"],
    )
    .unwrap_err();
    assert!(
        err.contains("missing: withdrawal_cooldown, deposit_cap"),
        "{err}"
    );
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/pool-params.example.toml"
    );
    let fund = solana_system_interface::instruction::transfer(
        &env.payer(),
        &authority.pubkey(),
        1_000_000_000,
    );
    env.ok(&[fund], &[]).await;
    cli_send(
        &mut env,
        &watched,
        Some(&authority),
        &[
            "create-pool",
            &m,
            "--mint",
            &mint_s,
            "--params",
            file,
            "--voting-period",
            "259200",
        ],
        None,
    )
    .await;
    assert_eq!(
        env.pool(&keys).await.params,
        default_params(),
        "the example file is the tests' default"
    );

    // register-exchange: the exchange authority is a PDA (here of the example exchange;
    // a Squads vault would do), paid into a token account of the exchange's.
    let exchange = env.user(&keys, 10_000_000_000).await;
    let exchange_pda = Pubkey::find_program_address(&[b"venue"], &example_exchange::ID).0;
    let registration = pda::exchange(&keys.pool, &exchange_pda).0;
    watched.push(registration);
    let (x, dest) = (exchange_pda.to_string(), exchange.token.to_string());
    cli_send(
        &mut env,
        &watched,
        Some(&authority),
        &[
            "register-exchange",
            &m,
            "--exchange-authority",
            &x,
            "--destination",
            &dest,
            "--per-event-cap",
            "500",
            "--per-epoch-cap",
            "2000.5",
        ],
        None,
    )
    .await;
    let r: ExchangeRegistration = env.fetch(registration).await;
    assert_eq!(
        (r.limits.per_event_cap, r.limits.per_epoch_cap),
        (500_000_000, 2_000_500_000)
    );

    // deposit: two underwriters, in token units.
    let (u1, u2) = (
        env.user(&keys, 100_000_000_000).await,
        env.user(&keys, 100_000_000_000).await,
    );
    for u in [&u1, &u2] {
        watched.push(keys.underwriter(&u.pubkey()));
        cli_send(
            &mut env,
            &watched,
            Some(&u.key),
            &["deposit", &m, "10000.5"],
            None,
        )
        .await;
    }
    assert_eq!(env.pool(&keys).await.capital, 20_001_000_000);

    // contribute: bounded by the quote (the quote the program gives).
    let member = env.user(&keys, 10_000_000_000).await;
    watched.push(keys.member(&member.pubkey()));
    let q = env.quote(&keys, None, 1_000_000_000).await;
    cli_send(
        &mut env,
        &watched,
        Some(&member.key),
        &["contribute", &m, "1000"],
        Some(q),
    )
    .await;
    let cover: Member = env.fetch(keys.member(&member.pubkey())).await;
    assert_eq!(
        (cover.maturing_amount, cover.premiums_paid),
        (1_000_000_000, q.premium)
    );

    // file-claim then cancel-claim (within the hour), then a claim that is voted,
    // finalized, paid and its bond returned, once the underwriters' shares vote.
    env.season(&keys).await;
    let hash = "ab".repeat(32);
    let file_claim = [
        "file-claim",
        &m,
        "100",
        "--evidence-hash",
        &hash,
        "--uri",
        "ipfs://x",
    ];
    for id in 0..4 {
        watched.push(claim_address(&keys, &member.pubkey(), id));
    }
    cli_send(&mut env, &watched, Some(&member.key), &file_claim, None).await;
    let first = claim_address(&keys, &member.pubkey(), 0);
    let claim: Claim = env.fetch(first).await;
    assert_eq!((claim.amount, claim.number), (100_000_000, 0));
    cli_send(
        &mut env,
        &watched,
        Some(&member.key),
        &["cancel-claim", &m, "0"],
        None,
    )
    .await;
    // The claims table shows it cancelled.
    let chain = Snapshot::take(&mut env, &watched).await;
    let claims = cli_read(&chain, &["claims", &m], None).unwrap();
    assert_eq!(claims[0]["status"], "Cancelled");
    env.advance_slot().await;
    cli_send(&mut env, &watched, Some(&member.key), &file_claim, None).await;
    approve(&mut env, &mut watched, &keys, &[&u1, &u2], &member, 1).await;
    // The cancelled claim's voting period is over too: `finalize` releases it (exits
    // waited for it).
    assert_eq!(env.pool(&keys).await.voting_claims, 100_000_000);
    cli_send(&mut env, &watched, None, &["finalize", &m, "0"], None).await;
    assert_eq!(env.pool(&keys).await.voting_claims, 0);
    env.warp(2 * DAY).await;
    let before = env.balance(member.token).await;
    cli_send(&mut env, &watched, None, &["pay", &m, "1"], None).await;
    cli_send(&mut env, &watched, None, &["withdraw-bond", &m, "1"], None).await;
    let paid: Claim = env.fetch(claim_address(&keys, &member.pubkey(), 1)).await;
    assert_eq!(paid.paid, 100_000_000);
    assert_eq!(
        env.balance(member.token).await - before,
        100_000_000 + paid.bond,
        "claim and bond"
    );

    // veto: the guardian stops an approved claim in its hold-up.
    cli_send(
        &mut env,
        &watched,
        Some(&member.key),
        &["file-claim", &m, "50", "--evidence-hash", &hash],
        None,
    )
    .await;
    approve(&mut env, &mut watched, &keys, &[&u1, &u2], &member, 2).await;
    cli_send(
        &mut env,
        &watched,
        Some(&guardian),
        &["veto", &m, "2"],
        None,
    )
    .await;
    let vetoed = render::claim(
        "c",
        &env.fetch::<Claim>(claim_address(&keys, &member.pubkey(), 2))
            .await,
        &env.pool(&keys).await,
    );
    assert_eq!(vetoed["status"], "Vetoed");

    // cover-shortfall and contribute-volume: an exchange authority is a PDA, so these
    // are proposals (`--output proposal --signer <PDA>`) its program or multisig
    // signs; the plan is what the program takes (its CPI path is tested in tests/).
    env.warp(33 * DAY).await;
    let chain = Snapshot::take(&mut env, &watched).await;
    let plan = cli_plan(&chain, exchange_pda, &["cover-shortfall", &m, "12.5"]).unwrap();
    assert_eq!(
        plan.instructions,
        vec![ix::cover_shortfall(
            &exchange_pda,
            &keys,
            &registration,
            &exchange.token,
            12_500_000,
            0
        )]
    );
    let proposal = crate::proposal(&plan.instructions);
    assert_eq!(proposal[0]["accounts"][0]["pubkey"], x);
    assert_eq!(proposal[0]["accounts"][0]["is_signer"], true);
    let plan = cli_plan(
        &chain,
        exchange_pda,
        &[
            "contribute-volume",
            &m,
            "1000",
            "--max-rate-bps",
            "50",
            "--source",
            &dest,
        ],
    )
    .unwrap();
    assert_eq!(
        plan.instructions,
        vec![ix::contribute_volume(
            &exchange_pda,
            &keys,
            &registration,
            &exchange.token,
            None,
            1_000_000_000,
            50
        )]
    );

    // request-withdrawal, cancel-withdrawal, request again, complete-withdrawal.
    let shares = env
        .underwriter(&keys, &u2.pubkey())
        .await
        .shares
        .get()
        .to_string();
    cli_send(
        &mut env,
        &watched,
        Some(&u2.key),
        &["request-withdrawal", &m, &shares],
        None,
    )
    .await;
    cli_send(
        &mut env,
        &watched,
        Some(&u2.key),
        &["cancel-withdrawal", &m],
        None,
    )
    .await;
    assert_eq!(
        env.underwriter(&keys, &u2.pubkey())
            .await
            .pending_shares
            .get(),
        0
    );
    // Cancelled shares are staked afresh: young until the end of the next stake period.
    env.season(&keys).await;
    cli_send(
        &mut env,
        &watched,
        Some(&u2.key),
        &["request-withdrawal", &m, &shares],
        None,
    )
    .await;
    env.warp(DAY + 1).await;
    let before = env.balance(u2.token).await;
    cli_send(
        &mut env,
        &watched,
        Some(&u2.key),
        &["complete-withdrawal", &m],
        None,
    )
    .await;
    assert!(env.balance(u2.token).await - before > 0);
    assert_eq!(env.underwriter(&keys, &u2.pubkey()).await.shares.get(), 0);
    env.assert_conserved(&keys).await;

    // The tables show token units; JSON keeps base units and the decimals.
    let chain = Snapshot::take(&mut env, &watched).await;
    let json = cli_read(&chain, &["pool", &m], None).unwrap();
    assert_eq!(json["decimals"], 6);
    let shown = render::in_token_units(&json);
    let capital = json["capital"].as_u64().unwrap();
    assert_eq!(
        shown["capital"],
        insurance_pool_sdk::units::format_amount(capital, 6)
    );
    assert_eq!(shown["params"]["min_deposit"], "0.000001");
    assert_eq!(
        shown["params"]["max_exposure_bps"], 50_000,
        "bps are not amounts"
    );
}

#[test]
fn amounts_and_parameter_files_parse_in_token_units() {
    use crate::ParamArgs;
    let file = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/pool-params.example.toml"
    ));
    let args = ParamArgs {
        file: Some(file.into()),
        ..Default::default()
    };
    assert_eq!(args.resolve(None, 6).unwrap(), default_params());
    // JSON works too, and a flag overrides the file.
    let dir = std::env::temp_dir().join(format!("ip-params-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("p.json");
    std::fs::write(
        &json,
        r#"{"base_rate": 70, "deposit_cap": "12.5", "bond_min": 3}"#,
    )
    .unwrap();
    let args = ParamArgs {
        file: Some(json.clone()),
        base_rate: Some(80),
        ..Default::default()
    };
    let p = args.resolve(Some(default_params()), 2).unwrap();
    assert_eq!(
        (p.curve.base_rate, p.deposit_cap, p.governance.bond_min),
        (80, 1_250, 300)
    );
    // Unknown keys, too many decimals and unreadable files are refused by name.
    std::fs::write(&json, r#"{"base_rte": 70}"#).unwrap();
    let err = ParamArgs {
        file: Some(json.clone()),
        ..Default::default()
    }
    .resolve(Some(default_params()), 6)
    .unwrap_err();
    assert!(err.contains("unknown field `base_rte`"), "{err}");
    let err = ParamArgs {
        deposit_cap: Some("1.001".parse().unwrap()),
        ..Default::default()
    }
    .resolve(Some(default_params()), 2)
    .unwrap_err();
    assert!(
        err.contains("deposit_cap") && err.contains("2 decimals"),
        "{err}"
    );
    let err = ParamArgs {
        file: Some(dir.join("absent.toml")),
        ..Default::default()
    }
    .resolve(None, 6)
    .unwrap_err();
    assert!(err.contains("cannot read"), "{err}");
    assert!("1.5.2".parse::<crate::Amount>().is_err());
}

#[test]
fn compute_budget_and_versioned_transactions() {
    let budget = crate::compute_budget(Some(5_000), Some(200_000));
    assert_eq!(budget.len(), 2);
    assert!(budget
        .iter()
        .all(|ix| ix.program_id.to_string() == "ComputeBudget111111111111111111111111111111"));
    assert!(crate::compute_budget(None, None).is_empty());
    let signer = Keypair::new();
    let ixs = [ix::accept_authority(&signer.pubkey())];
    let hash = solana_hash::Hash::new_from_array([7; 32]);
    let v0 = crate::transaction(&ixs, &signer, hash, false).unwrap();
    assert!(matches!(
        v0.message,
        solana_message::VersionedMessage::V0(_)
    ));
    assert!(v0.verify_with_results().iter().all(|ok| *ok));
    let legacy = crate::transaction(&ixs, &signer, hash, true).unwrap();
    assert!(matches!(
        legacy.message,
        solana_message::VersionedMessage::Legacy(_)
    ));
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "--with-compute-unit-price",
        "5000",
        "--compute-unit-limit",
        "200000",
        "--commitment",
        "finalized",
        "-C",
        "/tmp/c.yml",
        "--legacy",
        "pools",
    ])
    .unwrap();
    assert_eq!(
        (
            cli.with_compute_unit_price,
            cli.compute_unit_limit,
            cli.commitment.as_deref(),
            cli.legacy
        ),
        (Some(5_000), Some(200_000), Some("finalized"), true)
    );
    assert_eq!(
        cli.config.as_deref(),
        Some(std::path::Path::new("/tmp/c.yml"))
    );
}

/// The keeper on the embedded runtime: each round finds what is due (finalize after
/// the vote, an alert with the time left during the hold-up, pay after it, then the
/// bond), its plans are what the program accepts, and a second keeper racing the first
/// is refused by a named error it logs as skipped.
#[tokio::test]
async fn keeper_cranks_claims_and_alerts_the_guardian() {
    use crate::keeper::{classify, Keeper, Outcome as Crank, Task};
    let mut env = TestEnv::new().await;
    let keys = env.create_pool(TOKEN).await;
    let (u1, u2) = (
        env.user(&keys, 1_000_000).await,
        env.user(&keys, 1_000_000).await,
    );
    env.deposit(&u1, &keys, 500_000).await;
    env.deposit(&u2, &keys, 500_000).await;
    let member = env.user(&keys, 1_000_000).await;
    buy(&mut env, &keys, &member, 100_000).await;
    env.warp(DAY).await; // the cover matures
    env.season(&keys).await; // the underwriters' shares vote
    let claim = claim_address(&keys, &member.pubkey(), 0);
    let file = file_claim(
        &member.pubkey(),
        &keys,
        0,
        &member.token,
        10_000,
        [1; 32],
        "",
    );
    env.ok(&[file], &[&member.key]).await;
    for u in [&u1, &u2] {
        env.ok(&[cast_vote(&u.pubkey(), &keys, &claim, true)], &[&u.key])
            .await;
    }
    let watched = [keys.pool, keys.exposure, claim];
    let mut keeper = Keeper::default();
    // Runs a round on a snapshot, collecting the instructions it would send.
    async fn round(
        env: &mut TestEnv,
        keeper: &mut Keeper,
        watched: &[Pubkey],
    ) -> (
        Vec<anchor_lang::solana_program::instruction::Instruction>,
        crate::keeper::Round,
    ) {
        let chain = Snapshot::take(env, watched).await;
        let mut sent = Vec::new();
        let mut send = |ix: &anchor_lang::solana_program::instruction::Instruction| {
            sent.push(ix.clone());
            Crank::Done("planned".into())
        };
        let round = keeper
            .round(&chain, chain.now, None, 20, &mut send)
            .unwrap();
        (sent, round)
    }

    // During the vote nothing is due.
    let (sent, r) = round(&mut env, &mut keeper, &watched).await;
    assert!(sent.is_empty() && r.new_alerts.is_empty(), "{:?}", r.log);

    // After it: finalize, planned by two keepers at once; the second is refused by name.
    env.warp(DEFAULT_GOVERNANCE.voting_period).await;
    let (first, r) = round(&mut env, &mut keeper, &watched).await;
    assert_eq!(first, vec![finalize_claim(&keys, &claim, &member.pubkey())]);
    assert!(r.log[0].starts_with("finalize claim 0"), "{:?}", r.log);
    let (second, _) = round(&mut env, &mut Keeper::default(), &watched).await;
    env.ok(&first, &[]).await;
    env.advance_slot().await;
    let (err, _) = env.send(&second, &[]).await.unwrap_err();
    let skipped = classify(&format!("{err:?}: custom program error: 0x{:x}", {
        match err {
            solana_transaction_error::TransactionError::InstructionError(
                _,
                InstructionError::Custom(code),
            ) => code,
            other => panic!("{other:?}"),
        }
    }));
    assert!(
        matches!(skipped, Crank::Skipped(ref name) if name == "ClaimNotVoting"),
        "{skipped:?}"
    );

    // In the hold-up: one alert, with the time left to veto, and only once.
    let (sent, r) = round(&mut env, &mut keeper, &watched).await;
    assert!(sent.is_empty());
    let c: Claim = env.fetch(claim).await;
    let alert = &r.new_alerts[0];
    assert_eq!((alert.number, alert.amount), (0, 10_000));
    assert_eq!(alert.seconds_left, c.holdup_ends_at - env.now().await);
    assert!(
        alert.line().starts_with("ALERT claim 0 of market"),
        "{}",
        alert.line()
    );
    assert_eq!(alert.json()["seconds_left"], alert.seconds_left);
    // Not yet delivered (a webhook POST failed, say): the next round alerts again;
    // once delivered, never again for this hold-up.
    let (_, r) = round(&mut env, &mut keeper, &watched).await;
    assert_eq!(r.new_alerts.len(), 1, "undelivered alerts are retried");
    keeper.delivered(&r.new_alerts[0]);
    let (_, r) = round(&mut env, &mut keeper, &watched).await;
    assert!(r.new_alerts.is_empty(), "alerted once delivered");

    // After the hold-up: pay, then the bond.
    env.warp(DEFAULT_GOVERNANCE.holdup_period).await;
    let (sent, _) = round(&mut env, &mut keeper, &watched).await;
    assert_eq!(
        sent,
        vec![pay_claim(&keys, &claim, &member.pubkey(), &member.token)]
    );
    let before = env.balance(member.token).await;
    env.ok(&sent, &[]).await;
    assert_eq!(env.balance(member.token).await - before, 10_000);
    let (sent, _) = round(&mut env, &mut keeper, &watched).await;
    assert_eq!(sent, vec![withdraw_bond(&keys, &claim, &member.token)]);
    env.ok(&sent, &[]).await;
    let (sent, r) = round(&mut env, &mut keeper, &watched).await;
    assert!(sent.is_empty() && r.new_alerts.is_empty(), "{:?}", r.log);
    env.assert_conserved(&keys).await;

    // A withdrawal request left to lapse: once its window has closed on the exit
    // clock, the keeper expires it (anyone may): it no longer counts as leaving.
    let position = keys.underwriter(&u1.pubkey());
    let with_positions = [
        keys.pool,
        keys.exposure,
        claim,
        position,
        insurance_pool_sdk::pda::protocol().0,
    ];
    env.warp(DEPOSIT_LOCK).await;
    env.request_all(&keys, &u1).await;
    let (sent, _) = round(&mut env, &mut keeper, &with_positions).await;
    assert!(sent.is_empty(), "the request is live");
    let p = default_params();
    env.warp(p.withdrawal_cooldown + p.withdrawal_window + 1)
        .await;
    let (sent, r) = round(&mut env, &mut keeper, &with_positions).await;
    assert_eq!(sent, vec![expire_withdrawal(&u1.pubkey(), &keys)]);
    assert!(
        r.log[0].starts_with("expire-withdrawal position"),
        "{:?}",
        r.log
    );
    env.ok(&sent, &[]).await;
    let u = env.underwriter(&keys, &u1.pubkey()).await;
    assert_eq!(u.expired, 1);
    assert_eq!(env.pool(&keys).await.leaving_shares.get(), 0);
    let (sent, _) = round(&mut env, &mut keeper, &with_positions).await;
    assert!(sent.is_empty(), "expired once");

    // The round limit defers the rest; other markets are filtered out.
    let chain = Snapshot::take(&mut env, &watched).await;
    let (due, _) = crate::keeper::scan(&chain, chain.now, Some(Pubkey::new_unique())).unwrap();
    assert!(due.is_empty());
    assert_eq!(Task::SettleBond.name(), "settle-bond");
    assert!(matches!(classify("connection refused"), Crank::Failed(_)));
    // A named error that is not a race (here: the pool's claims paused) is a failure
    // the operator sees, not a skip.
    let paused = insurance_pool_sdk::errors::insurance_errors()
        .iter()
        .find(|e| e.name == "Paused")
        .unwrap()
        .code;
    let out = classify(&format!("custom program error: 0x{paused:x}"));
    assert!(
        matches!(out, Crank::Failed(ref why) if why.starts_with("Paused")),
        "{out:?}"
    );
    // Two keepers with one key build the same transaction in the same slot.
    let same = "Transaction error: This transaction has already been processed";
    assert!(matches!(classify(same), Crank::Skipped(_)));
}

/// `health` on real accounts: healthy, then each invariant broken in turn (the vault
/// and the escrow short of what the pool records) is reported by name.
#[tokio::test]
async fn health_reports_conservation_and_exits_on_a_broken_invariant() {
    use insurance_pool_sdk::pda;
    let mut env = TestEnv::new().await;
    let keys = env.create_pool(TOKEN).await;
    let other = env.create_pool(TOKEN).await;
    let u = env.user(&keys, 1_000_000).await;
    env.deposit(&u, &keys, 400_000).await;
    let watched = [
        pda::protocol().0,
        keys.pool,
        keys.exposure,
        keys.vault,
        keys.bond_vault,
        other.pool,
        other.exposure,
        other.vault,
        other.bond_vault,
    ];
    let mut chain = Snapshot::take(&mut env, &watched).await;
    let (rows, healthy) = crate::health::health(&chain, None).unwrap();
    assert!(healthy);
    assert_eq!(rows.as_array().unwrap().len(), 2);
    let (row, _) = crate::health::health(&chain, Some(keys.market)).unwrap();
    let row = &row[0];
    assert_eq!(
        (row["vault"].as_u64(), row["capital"].as_u64()),
        (Some(400_000), Some(400_000))
    );
    assert_eq!(row["surplus"], 0);
    assert_eq!(row["broken"], serde_json::json!([]));
    assert!(crate::health::health(&chain, Some(Pubkey::new_unique()))
        .unwrap_err()
        .contains("no pool"));

    // A vault short of capital (as a drained account would be) breaks conservation.
    let set_amount = |chain: &mut Snapshot, account: Pubkey, amount: u64| {
        let (_, _, data) = chain
            .accounts
            .iter_mut()
            .find(|(k, _, _)| *k == account)
            .unwrap();
        data[64..72].copy_from_slice(&amount.to_le_bytes());
    };
    set_amount(&mut chain, keys.vault, 399_999);
    let (rows, healthy) = crate::health::health(&chain, None).unwrap();
    assert!(!healthy);
    let broken = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["market"] == keys.market.to_string())
        .unwrap();
    assert!(
        broken["broken"][0]
            .as_str()
            .unwrap()
            .contains("vault holds 399999 < capital 400000"),
        "{broken}"
    );
    let fine = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["market"] == other.market.to_string())
        .unwrap();
    assert_eq!(
        fine["healthy"], true,
        "the other pool is reported on its own"
    );
    // A donation is a surplus, not a fault; a short escrow is one.
    set_amount(&mut chain, keys.vault, 400_005);
    set_amount(&mut chain, other.bond_vault, 1);
    let (rows, _) = crate::health::health(&chain, Some(keys.market)).unwrap();
    assert_eq!(
        (rows[0]["surplus"].as_u64(), rows[0]["healthy"].as_bool()),
        (Some(5), Some(true))
    );
    // Bonds the pool records but the escrow lacks: file a claim, then empty the escrow.
    let member = env.user(&keys, 1_000_000).await;
    buy(&mut env, &keys, &member, 100_000).await;
    env.warp(2 * DAY).await;
    let file = file_claim(
        &member.pubkey(),
        &keys,
        0,
        &member.token,
        1_000,
        [1; 32],
        "",
    );
    env.ok(&[file], &[&member.key]).await;
    let mut chain2 = Snapshot::take(&mut env, &watched).await;
    set_amount(&mut chain2, keys.bond_vault, 0);
    let (rows, healthy) = crate::health::health(&chain2, Some(keys.market)).unwrap();
    assert!(!healthy);
    assert!(
        rows[0]["broken"][0]
            .as_str()
            .unwrap()
            .starts_with("bond escrow holds 0 < bonds"),
        "{}",
        rows[0]
    );
}
