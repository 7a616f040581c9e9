//! CLI tests: argument parsing, URL monikers, error decoding, the JSON and table output
//! of the read commands (rendered from real accounts of an in-process bank), and the
//! demo's final checks.

use clap::Parser;
use insurance_pool_tests::*;

use crate::{explain, read, render, resolve_url, Chain, Cli, CliResult, Command, POOL_COLUMNS};

/// The embedded runtime's accounts, captured for the CLI's read commands.
struct Snapshot {
    accounts: Vec<(Pubkey, Pubkey, Vec<u8>)>,
    now: i64,
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

    fn program_accounts(&self) -> CliResult<Vec<(Pubkey, Vec<u8>)>> {
        Ok(self
            .accounts
            .iter()
            .filter(|(_, owner, _)| *owner == insurance_pool::ID)
            .map(|(k, _, d)| (*k, d.clone()))
            .collect())
    }

    fn now(&self) -> CliResult<i64> {
        Ok(self.now)
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
    assert_eq!(cli.url, "devnet");
    assert!(cli.json);
    assert!(matches!(cli.command, Command::Pool(ref m) if m.market == market));
    let cli = Cli::try_parse_from(["insurance-pool", "pools", "-k", "/tmp/k.json"]).unwrap();
    assert_eq!(
        (cli.url.as_str(), cli.keypair.as_deref(), cli.json),
        ("localhost", Some("/tmp/k.json"), false)
    );
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "deposit",
        &market.to_string(),
        "100",
        "--min-shares",
        "5",
    ])
    .unwrap();
    assert!(matches!(
        cli.command,
        Command::Deposit {
            amount: 100,
            min_shares: 5,
            ..
        }
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
    assert!(Cli::try_parse_from(["insurance-pool", "deposit", &market.to_string(), "-1"]).is_err());
    assert!(matches!(
        Cli::try_parse_from(["insurance-pool", "demo"])
            .unwrap()
            .command,
        Command::Demo
    ));
    let cli = Cli::try_parse_from([
        "insurance-pool",
        "update-params",
        &market.to_string(),
        "--base-rate",
        "75",
    ])
    .unwrap();
    assert!(matches!(
        cli.command,
        Command::UpdateParams {
            base_rate: Some(75),
            deposit_cap: None,
            ..
        }
    ));
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

#[tokio::test]
async fn read_commands_render_real_accounts() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 10_000).await;
    env.deposit(&alice, &pool, 10_000).await;
    let trader = env.user(&pool, 1_000).await;
    let ix = contribute_premium(
        &trader.pubkey(),
        &pool,
        &trader.token,
        None,
        4_000,
        u64::MAX,
    );
    env.ok(&[ix], &[&trader.key]).await;
    let now = env.now().await;
    let state = env.pool(&pool).await;

    let exposure: PoolExposure = env.fetch(pool.exposure).await;
    let json = render::pool(&pool.pool.to_string(), &state, &exposure.book, now);
    assert_eq!(json["market"], pool.market.to_string());
    assert_eq!(json["capital"], 10_020);
    assert_eq!(json["shares"], 10_000_000_000u64);
    assert_eq!(json["exposure"], 4_000);
    assert_eq!(json["utilisation_bps"], 3_993);
    assert_eq!(json["rate_bps"], 50);
    assert_eq!(json["share_price"], 1);
    assert_eq!(json["losses"]["count"], 0);
    let table = render::table(
        std::slice::from_ref(&json),
        &["market", "capital", "utilisation_bps"],
    );
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].starts_with("market") && lines[2].contains("10020") && lines[2].contains("3993")
    );
    assert!(render::detail(&json).contains("capital"));

    let u = env.underwriter(&pool, &alice.pubkey()).await;
    let json = render::underwriter("u", &u, &state);
    assert_eq!(
        (json["shares"].as_u64(), json["value"].as_u64()),
        (Some(10_000_000_000), Some(10_019))
    );
    let m: Member = env.fetch(pool.member(&trader.pubkey())).await;
    let json = render::member("m", &m, now);
    assert_eq!(
        (json["covered_amount"].as_u64(), json["covered"].as_bool()),
        (Some(4_000), Some(true))
    );
    // After expiry the member shows no cover.
    let json = render::member("m", &m, m.coverage_expiry);
    assert_eq!(json["covered_amount"], 0);
}

#[tokio::test]
async fn demo_ends_with_its_checks_passing() {
    crate::demo::run_on(runtime::selected_runtime())
        .await
        .unwrap();
}

#[tokio::test]
async fn read_commands_work_against_the_embedded_runtime() {
    let mut env = TestEnv::new().await;
    let a = env.create_pool(TOKEN).await;
    let b = env.create_pool(TOKEN).await;
    let alice = env.user(&a, 10_000).await;
    env.deposit(&alice, &a, 10_000).await;
    let trader = env.user(&a, 1_000).await;
    let ix = contribute_premium(&trader.pubkey(), &a, &trader.token, None, 4_000, u64::MAX);
    env.ok(&[ix], &[&trader.key]).await;
    env.warp(1).await;
    let claim = file_claim(
        &trader.pubkey(),
        &a,
        0,
        &trader.token,
        1_000,
        [3; 32],
        "ipfs://x",
    );
    env.ok(&[claim], &[&trader.key]).await;
    let keys = [
        a.pool,
        a.exposure,
        b.pool,
        b.exposure,
        a.underwriter(&alice.pubkey()),
        a.member(&trader.pubkey()),
        claim_address(&a, 0),
        a.vault,
    ];
    let chain = Snapshot::take(&mut env, &keys).await;
    let (ma, mb) = (a.market.to_string(), b.market.to_string());

    let pools = cli_read(&chain, &["pools"], None).unwrap();
    let pools = pools.as_array().unwrap();
    assert_eq!(pools.len(), 2, "the vault is not a pool");
    let row_a = pools.iter().find(|p| p["market"] == ma.as_str()).unwrap();
    assert_eq!(
        (row_a["capital"].as_u64(), row_a["exposure"].as_u64()),
        (Some(10_020), Some(4_000))
    );
    assert!(pools
        .iter()
        .any(|p| p["market"] == mb.as_str() && p["capital"] == 0));
    let table = render::table(pools, POOL_COLUMNS);
    assert!(table.starts_with("market") && table.contains(&ma) && table.contains("10020"));

    let pool = cli_read(&chain, &["pool", &ma], None).unwrap();
    assert_eq!(
        (pool["capital"].as_u64(), pool["claims_filed"].as_u64()),
        (Some(10_020), Some(1))
    );
    assert_eq!(pool["bonds_held"], 50);
    let owner = alice.pubkey().to_string();
    let u = cli_read(&chain, &["underwriter", &ma, "--owner", &owner], None).unwrap();
    assert_eq!(
        (u["shares"].as_u64(), u["value"].as_u64()),
        (Some(10_000_000_000), Some(10_019))
    );
    let m = cli_read(&chain, &["member", &ma], Some(trader.pubkey())).unwrap();
    assert_eq!(
        (m["covered_amount"].as_u64(), m["open_claim"].as_str()),
        (Some(4_000), Some(claim_address(&a, 0).to_string().as_str()))
    );
    let claims = cli_read(&chain, &["claims", &ma], None).unwrap();
    let c = &claims.as_array().unwrap()[0];
    assert_eq!(
        (
            c["status"].as_str(),
            c["amount"].as_u64(),
            c["quorum_bps"].as_u64()
        ),
        (Some("Voting"), Some(1_000), Some(2_000))
    );
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
