//! `insurance-pool actuary`: fit a pool's losses, simulate its solvency, recommend its
//! premium parameters, and write the governance report (see the `actuary` crate).

use std::path::PathBuf;

use actuary::{analyse, recommendation_text, AnalysisInput, LossEvent, LossHistory, PoolModel};
use anchor_lang::prelude::Pubkey;
use clap::Args;
use insurance_pool_sdk::pda;
use insurance_pool_sdk::state::{ExchangeRegistration, PoolExposure, Protocol};
use serde_json::json;

use crate::{fetch, pool_keys, Chain, CliResult};

/// Options of the `actuary` command.
#[derive(Args, Debug, Clone)]
pub struct ActuaryArgs {
    /// Loss history: CSV (`time,amount`, unix seconds and base units) or JSON. Without
    /// it, the pool's `ShortfallCovered` / `ClaimPaid` events are read from the chain.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Read capital, exposure, curve, caps and fee from this market's pool.
    #[arg(long)]
    pub market: Option<Pubkey>,
    /// Pool parameters as JSON (the engine's `PoolModel`), instead of `--market`.
    #[arg(long, conflicts_with = "market", required_unless_present = "market")]
    pub pool_config: Option<PathBuf>,
    /// The exchange registration whose caps apply (default: the pool's first active one).
    #[arg(long)]
    pub exchange: Option<Pubkey>,
    /// Directory of the report (report.md, SVG plots, analysis.json).
    #[arg(long, default_value = "actuary-report")]
    pub out: PathBuf,
    /// Monte Carlo paths of the main simulation.
    #[arg(long, default_value_t = 100_000)]
    pub paths: usize,
    /// Paths per simulation of the recommendation search.
    #[arg(long, default_value_t = 20_000)]
    pub search_paths: usize,
    #[arg(long, default_value_t = 365)]
    pub horizon_days: i64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Largest acceptable ruin probability over the horizon.
    #[arg(long, default_value_t = actuary::DEFAULT_TARGET)]
    pub target: f64,
    /// Peaks-over-threshold threshold in base units (default: the 90 % quantile).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Parametric-bootstrap replicates (GOF p-values, parameter intervals).
    #[arg(long, default_value_t = 200)]
    pub bootstrap: usize,
    /// Draw each path's parameters from the bootstrap replicates.
    #[arg(long)]
    pub parameter_uncertainty: bool,
    /// Decimals of the pool token (display only; read from the pool with --market).
    #[arg(long, default_value_t = 6)]
    pub decimals: u8,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// The engine's view of a market's pool, read from the chain: capital, exposure now,
/// curve, term, exposure cap, floor, protocol fee and the exchange's caps.
pub fn model_from_chain(
    chain: &dyn Chain,
    market: &Pubkey,
    exchange: Option<Pubkey>,
) -> CliResult<(PoolModel, u8)> {
    let (keys, pool) = pool_keys(chain, market)?;
    let address = pda::pool(market).0;
    let exposure: PoolExposure = fetch(chain, &keys.exposure)?;
    let protocol: Protocol = fetch(chain, &pda::protocol().0)?;
    let registration: ExchangeRegistration = match exchange {
        Some(key) => fetch(chain, &key)?,
        None => chain
            .program_accounts()?
            .into_iter()
            .filter_map(|(_, data)| {
                use anchor_lang::AccountDeserialize;
                ExchangeRegistration::try_deserialize(&mut data.as_slice()).ok()
            })
            .find(|r| r.pool == address && r.active)
            .ok_or("the pool has no active exchange registration (pass --exchange)")?,
    };
    if registration.pool != address {
        return Err("that exchange registration belongs to another pool".into());
    }
    let p = &pool.params;
    let now = chain.now()?;
    let mut model = PoolModel {
        capital: pool.capital,
        exposure: exposure.book.active_at(now),
        curve: p.curve,
        coverage_duration: p.coverage_duration,
        max_exposure_bps: p.max_exposure_bps,
        protocol_fee_bps: protocol.protocol_fee_bps as u64,
        min_reserve: p.min_reserve,
        reserved_for_claims: pool.reserved_for_claims,
        per_event_cap: registration.limits.per_event_cap,
        per_epoch_cap: registration.limits.per_epoch_cap,
        epoch_length: registration.limits.epoch_length,
        max_rate_change_per_day: p.max_rate_change_per_day,
        initial_rate_bps: None,
    };
    // The simulation starts from the rate the pool would charge now: its last rate
    // smoothed towards the curve over the time since it was set.
    let elapsed = now.saturating_sub(pool.rate_updated_at);
    model.initial_rate_bps = Some(model.charged_rate(pool.rate_bps, pool.capital, elapsed).0);
    Ok((model, pool.mint_decimals))
}

/// Runs the analysis, writes the report, and returns the printed summary.
pub fn run(chain: Option<&dyn Chain>, args: &ActuaryArgs, json_out: bool) -> CliResult<String> {
    let (model, decimals) = match (&args.pool_config, &args.market) {
        (Some(path), _) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let model: PoolModel =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            (model, args.decimals)
        }
        (None, Some(market)) => model_from_chain(
            chain.ok_or("--market needs a chain")?,
            market,
            args.exchange,
        )?,
        (None, None) => return Err("give --pool-config or --market".into()),
    };
    let history = match (&args.history, &args.market) {
        (Some(path), _) => LossHistory::from_file(path)?,
        (None, Some(market)) => {
            let chain = chain.ok_or("reading losses from the chain needs a chain")?;
            let events = chain.pool_losses(&pda::pool(market).0)?;
            LossHistory::new(events, None)?
        }
        (None, None) => return Err("give --history or --market".into()),
    };
    if !(0.0..1.0).contains(&args.target)
        || args.paths == 0
        || args.search_paths == 0
        || args.horizon_days <= 0
    {
        return Err(
            "need 0 <= target < 1, paths > 0, search paths > 0 and a positive horizon".into(),
        );
    }
    let input = AnalysisInput {
        label: args.market.map(|m| m.to_string()),
        history,
        model,
        decimals,
        paths: args.paths,
        search_paths: args.search_paths,
        horizon_secs: args.horizon_days * 86_400,
        seed: args.seed,
        threshold: args.threshold,
        bootstrap: args.bootstrap,
        parameter_uncertainty: args.parameter_uncertainty,
        target: args.target,
        progress: !json_out && std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let analysis = match args.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| e.to_string())?
            .install(|| analyse(&input))?,
        None => analyse(&input)?,
    };
    let files = actuary::report::write_report(&args.out, &input, &analysis)?;
    let s = &analysis.summary;
    let f = &analysis.fit;
    if json_out {
        return serde_json::to_string_pretty(&json!({
            "ruin_probability": s.ruin_probability, "ruin_std_error": s.ruin_std_error,
            "capital_loss_var_995": s.capital_loss_var_995, "capital_loss_es_995": s.capital_loss_es_995,
            "frequency": f.frequency, "severity": f.severity, "ks": f.ks, "ks_p_value": f.ks_p_value,
            "ad": f.ad, "ad_p_value": f.ad_p_value, "recommendation": analysis.recommendation,
            "files": files,
        }))
        .map_err(|e| e.to_string());
    }
    let scale = 10f64.powi(decimals as i32);
    let mut out = String::new();
    out += &format!(
        "losses        {} over {:.2} years; frequency {}\n",
        f.events,
        f.years,
        serde_json::to_string(&f.frequency).unwrap_or_default()
    );
    out += &format!(
        "severity      {}\n",
        serde_json::to_string(&f.severity).unwrap_or_default()
    );
    out += &format!(
        "fit           KS {:.4} (p {:.3}), AD {:.3} (p {:.3})\n",
        f.ks, f.ks_p_value, f.ad, f.ad_p_value
    );
    out += &format!(
        "ruin          {:.3} % ± {:.3} % over {} days ({} paths, seed {})\n",
        s.ruin_probability * 100.0,
        s.ruin_std_error * 100.0,
        args.horizon_days,
        s.paths,
        s.seed
    );
    out += &format!(
        "capital loss  VaR99.5 {:.2}, ES99.5 {:.2} tokens; mean uncovered {:.2} tokens\n\n",
        s.capital_loss_var_995 / scale,
        s.capital_loss_es_995 / scale,
        s.mean_uncovered / scale
    );
    out += &recommendation_text(&input, &analysis);
    out += &format!("\nreport: {}\n", args.out.join("report.md").display());
    Ok(out)
}

/// Losses of a pool from its transactions' logs over JSON-RPC (newest 10 000).
pub fn rpc_pool_losses(
    rpc: &solana_rpc_client::rpc_client::RpcClient,
    pool: &Pubkey,
) -> CliResult<Vec<LossEvent>> {
    use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
    use solana_transaction_status_client_types::UiTransactionEncoding;
    let mut losses = Vec::new();
    let mut before = None;
    for _ in 0..10 {
        let page = rpc
            .get_signatures_for_address_with_config(
                pool,
                GetConfirmedSignaturesForAddress2Config {
                    before,
                    until: None,
                    limit: Some(1_000),
                    commitment: None,
                },
            )
            .map_err(|e| e.to_string())?;
        for status in page.iter().filter(|s| s.err.is_none()) {
            let signature: solana_signature::Signature =
                status.signature.parse().map_err(|e| format!("{e:?}"))?;
            let tx = rpc
                .get_transaction(&signature, UiTransactionEncoding::Json)
                .map_err(|e| e.to_string())?;
            let logs: Option<Vec<String>> = tx.transaction.meta.and_then(|m| m.log_messages.into());
            let time = tx.block_time.or(status.block_time).unwrap_or_default();
            losses.extend(actuary::history::losses_from_logs(
                time,
                pool,
                &logs.unwrap_or_default(),
            ));
        }
        match page.last() {
            Some(last) if page.len() == 1_000 => before = last.signature.parse().ok(),
            _ => break,
        }
    }
    Ok(losses)
}
