//! `insurance-pool actuary`: fit a pool's losses, simulate its solvency, recommend its
//! premium parameters, and write the governance report (see the `actuary` crate).

use std::path::PathBuf;

use actuary::{
    analyse, recommendation_text, AnalysisInput, LossHistory, PoolModel, VolumeEstimate,
};
use anchor_lang::prelude::Pubkey;
use clap::Args;
use insurance_pool_sdk::pda;
use insurance_pool_sdk::state::{Claim, ExchangeRegistration, Pool, PoolExposure, Protocol};
use serde_json::json;

use crate::{fetch, pool_claims, pool_keys, Chain, CliResult};

/// Options of the `actuary` command.
#[derive(Args, Debug, Clone)]
pub struct ActuaryArgs {
    /// Loss history: CSV (`time,amount`, unix seconds and base units) or JSON. Without
    /// it, `--market` reads the pool's history from the chain: its `ShortfallCovered`
    /// events (every transaction of the pool, reconciled with its `loss_stats`) and its
    /// paid `Claim` accounts.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Read capital, exposure, curve, caps and fee from this market's pool.
    #[arg(long)]
    pub market: Option<Pubkey>,
    /// Pool parameters as JSON (the engine's `PoolModel`), instead of `--market`.
    #[arg(long, conflicts_with = "market", required_unless_present = "market")]
    pub pool_config: Option<PathBuf>,
    /// The exchange whose caps are modelled: its registration address or its exchange
    /// authority. Required with `--market` when the pool has registrations.
    #[arg(long, conflicts_with = "pool_config")]
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
    /// Recommend the base rate at this confidence (percent, e.g. 95): the smallest rate
    /// meeting the target under that share of the bootstrap replicates, each simulated
    /// on its own (what the held-out backtest needs to stay within the target; see the
    /// README). Needs `--bootstrap` > 0.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub confidence: Option<u8>,
    /// Decimals of the pool token (display only; read from the pool with --market).
    #[arg(long, default_value_t = 6)]
    pub decimals: u8,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Trading volume per day (base units) the exchanges pay the pool's volume fee on,
    /// held constant in the simulation. Default: with `--market`, measured from the
    /// pool's `VolumeContributed` events (reconciled with its `total_volume`) over
    /// `--volume-window-days`; with `--pool-config`, the file's `volume_per_day` (0
    /// when absent: no volume income).
    #[arg(long)]
    pub volume_per_day: Option<u64>,
    /// Trailing days the chain's volume per day is measured over (fewer when the pool
    /// has traded for less).
    #[arg(long, default_value_t = 30)]
    pub volume_window_days: i64,
}

/// The exchange registration of `pool` named by `exchange` (its address, or the
/// exchange authority it registers). Refuses a missing name, listing the pool's
/// registrations, and a registration of another pool.
pub fn exchange_registration(
    chain: &dyn Chain,
    pool: &Pubkey,
    exchange: Option<Pubkey>,
) -> CliResult<(Pubkey, ExchangeRegistration)> {
    use anchor_lang::{AccountDeserialize, Discriminator};
    let Some(key) = exchange else {
        let mut registrations = Vec::new();
        let filter = [(0, ExchangeRegistration::DISCRIMINATOR), (8, pool.as_ref())];
        for (key, data) in chain.program_accounts(&filter)? {
            let r = ExchangeRegistration::try_deserialize(&mut data.as_slice())
                .map_err(|e| format!("{key}: {e}"))?;
            if r.pool == *pool {
                registrations.push(format!(
                    "{key} (authority {}, {})",
                    r.exchange_authority,
                    if r.is_active() { "active" } else { "inactive" }
                ));
            }
        }
        return Err(if registrations.is_empty() {
            format!(
                "pool {pool} has no exchange registration, so there are no caps to model: \
                 give them with --pool-config"
            )
        } else {
            format!(
                "name the exchange whose caps are modelled: --exchange <registration or \
                 authority>; pool {pool} has {}: {}",
                registrations.len(),
                registrations.join(", ")
            )
        });
    };
    if let Ok(r) = fetch::<ExchangeRegistration>(chain, &key) {
        if r.pool != *pool {
            return Err(format!(
                "exchange registration {key} belongs to another pool ({}, not {pool})",
                r.pool
            ));
        }
        return Ok((key, r));
    }
    let address = pda::exchange(pool, &key).0;
    match fetch::<ExchangeRegistration>(chain, &address) {
        Ok(r) => Ok((address, r)),
        Err(_) => Err(format!(
            "{key} is neither an exchange registration of pool {pool} nor the authority of one"
        )),
    }
}

/// The engine's view of a market's pool, read from the chain: capital, exposure now,
/// curve, term, exposure cap, floor, protocol fee, the caps of the named exchange
/// (see [`exchange_registration`]), the volume curve and loss index in effect now. The
/// volume per day is not part of it (it comes from the pool's transactions:
/// [`chain_volume`]); it is 0 here.
pub fn model_from_chain(
    chain: &dyn Chain,
    market: &Pubkey,
    exchange: Option<Pubkey>,
) -> CliResult<(PoolModel, u8)> {
    let (keys, pool) = pool_keys(chain, market)?;
    let exposure: PoolExposure = fetch(chain, &keys.exposure)?;
    let protocol: Protocol = fetch(chain, &pda::protocol().0)?;
    let (_, registration) = exchange_registration(chain, &keys.pool, exchange)?;
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
        volume_per_day: 0,
        volume: p.volume,
        loss_index: 0,
    };
    // The premium rate needs nothing from the pool's history (it is the curve at the
    // utilisation: the pool's `rate_bps` is statistics only). The volume curve and
    // loss index are the ones `quote_volume` would use now (the program's own
    // `Pool::volume_quote` on the refreshed pool: the curve in effect now, the pool's
    // `volume_loss` decayed to now).
    let (at, quote) = crate::render::volume_quote_at(&pool, &exposure, &protocol, 0, now)?;
    model.volume = at.params.volume;
    model.loss_index = quote.loss_index;
    Ok((model, pool.mint_decimals))
}

/// Where the simulated volume per day came from.
#[derive(Clone, Debug)]
pub enum VolumeSource {
    /// `--volume-per-day`.
    Given,
    /// The `--pool-config` file.
    Config,
    /// The pool's `VolumeContributed` events.
    Chain(VolumeEstimate),
}

/// A market pool's transactions, read once for both the loss history and the volume:
/// the pool account before and after its transactions were listed and, for the
/// history, its claims read in between.
pub struct PoolRecord {
    pub address: Pubkey,
    pub before: Pool,
    pub transactions: Vec<TransactionLogs>,
    pub claims: Vec<(Pubkey, Claim)>,
    pub after: Pool,
}

impl PoolRecord {
    /// Reads the record (`with_claims`: the pool's `Claim` accounts too, which the
    /// history needs and the volume does not).
    pub fn read(chain: &dyn Chain, market: &Pubkey, with_claims: bool) -> CliResult<Self> {
        let address = pda::pool(market).0;
        let before: Pool = fetch(chain, &address)?;
        let transactions = chain.transaction_logs(&address)?;
        let claims = if with_claims {
            pool_claims(chain, &address)?
        } else {
            Vec::new()
        };
        let after: Pool = fetch(chain, &address)?;
        Ok(PoolRecord {
            address,
            before,
            transactions,
            claims,
            after,
        })
    }
}

/// The pool's trading volume per day from the chain: every `VolumeContributed` event in
/// the pool's successful transactions (the insurance program's own, for this pool),
/// which must add up to the pool's `total_volume` (at least what it recorded before the
/// transactions were listed, at most what it recorded after: trades go on meanwhile),
/// measured over the trailing `window_secs` (see [`actuary::history::volume_per_day`]).
// `run` reads the pool's record once for both the history and the volume; these are
// the one-purpose entry points (used by the tests).
#[allow(dead_code)]
pub fn chain_volume(
    chain: &dyn Chain,
    market: &Pubkey,
    window_secs: i64,
) -> CliResult<VolumeEstimate> {
    volume_of(chain, &PoolRecord::read(chain, market, false)?, window_secs)
}

fn volume_of(
    chain: &dyn Chain,
    record: &PoolRecord,
    window_secs: i64,
) -> CliResult<VolumeEstimate> {
    let (mut events, mut truncated) = (Vec::new(), 0);
    for tx in &record.transactions {
        let found = actuary::history::volumes_from_logs(
            tx.block_time.unwrap_or_default(),
            &record.address,
            &tx.logs,
        );
        if !found.is_empty() && tx.block_time.is_none() {
            return Err(format!(
                "transaction {} has no block time to date its volume",
                tx.signature
            ));
        }
        truncated += actuary::history::logs_truncated(&tx.logs) as usize;
        events.extend(found);
    }
    actuary::history::reconcile_volume(
        &events,
        record.before.total_volume,
        record.after.total_volume,
        truncated,
    )?;
    // Now, or the newest trade if the node's clock lags its transactions.
    let now = events.iter().map(|e| e.time).fold(chain.now()?, i64::max);
    Ok(actuary::history::volume_per_day(&events, now, window_secs))
}

/// Runs the analysis, writes the report, and returns the printed summary.
pub fn run(chain: Option<&dyn Chain>, args: &ActuaryArgs, json_out: bool) -> CliResult<String> {
    let (mut model, decimals) = match (&args.pool_config, &args.market) {
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
    if args.volume_window_days <= 0 {
        return Err("need a positive --volume-window-days".into());
    }
    // The pool's transactions are read at most once, for the losses and the volume.
    let on_chain = args.market.zip(chain);
    let record = match on_chain {
        Some((market, chain)) => {
            let want_history = args.history.is_none();
            let want_volume = args.volume_per_day.is_none()
                && args.pool_config.is_none()
                && pool_keys(chain, &market)?.1.total_volume > 0;
            match want_history || want_volume {
                true => Some(PoolRecord::read(chain, &market, want_history)?),
                false => None,
            }
        }
        None => None,
    };
    let source = match (args.volume_per_day, &args.pool_config) {
        (Some(v), _) => {
            model.volume_per_day = v;
            VolumeSource::Given
        }
        (None, Some(_)) => VolumeSource::Config,
        (None, None) => {
            let (_, chain) = on_chain.ok_or("--market needs a chain")?;
            let window = args.volume_window_days.saturating_mul(86_400);
            let estimate = match &record {
                Some(r) => volume_of(chain, r, window)?,
                // Nothing ever traded: no events to read.
                None => actuary::history::volume_per_day(&[], chain.now()?, window),
            };
            model.volume_per_day = estimate.volume_per_day;
            VolumeSource::Chain(estimate)
        }
    };
    let history = match (&args.history, &args.market) {
        (Some(path), _) => LossHistory::from_file(path)?,
        (None, Some(_)) => match (&record, chain) {
            (Some(r), Some(chain)) => history_of(chain, r)?,
            _ => return Err("reading losses from the chain needs a chain".into()),
        },
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
        confidence: args.confidence.map(|c| c as f64 / 100.0),
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
    let scale = 10f64.powi(decimals as i32);
    if json_out {
        return serde_json::to_string_pretty(&json!({
            "ruin_probability": s.ruin_probability, "ruin_std_error": s.ruin_std_error,
            "capital_loss_var_995": s.capital_loss_var_995, "capital_loss_es_995": s.capital_loss_es_995,
            "frequency": f.frequency, "severity": f.severity, "ks": f.ks, "ks_p_value": f.ks_p_value,
            "ad": f.ad, "ad_p_value": f.ad_p_value, "recommendation": analysis.recommendation,
            "volume_per_day": input.model.volume_per_day,
            "volume_estimate": match &source { VolumeSource::Chain(e) => Some(e), _ => None },
            "mean_volume_income": s.mean_volume_income,
            "files": files,
        }))
        .map_err(|e| e.to_string());
    }
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
    let m = &input.model;
    let measured = match &source {
        VolumeSource::Given => "--volume-per-day".to_string(),
        VolumeSource::Config => "the pool config".to_string(),
        VolumeSource::Chain(e) => format!(
            "{} contributions of {:.2} tokens over {:.1} days on chain",
            e.contributions,
            e.volume as f64 / scale,
            (e.end - e.start) as f64 / 86_400.0
        ),
    };
    if m.volume_per_day > 0 {
        out += &format!(
            "volume        {:.2} tokens a day ({measured}) at {} bps now: {:.2} tokens a year net\n",
            m.volume_per_day as f64 / scale,
            m.initial_volume_rate(),
            m.annual_volume_income_now() as f64 / scale
        );
    } else if let VolumeSource::Chain(_) = source {
        out += "volume        none contributed in the window: no volume income\n";
    }
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

/// One transaction of an address, with its logs as the node returned them.
#[derive(Clone, Debug)]
pub struct TransactionLogs {
    pub signature: String,
    /// `None` when the node does not know it.
    pub block_time: Option<i64>,
    pub logs: Vec<String>,
}

/// A market pool's loss history from the chain, observed from the pool's creation to
/// now: every `ShortfallCovered` event in the pool's successful transactions (the
/// insurance program's own, for this pool), which must reconcile with the pool's
/// `loss_stats` (count and `total_reported`), and its `Paid` claims from their
/// `Claim` accounts (`paid + unpaid` dated `filed_at`), which must add up to its
/// `total_claims_paid`. Refuses, naming the gap, when either does not.
#[allow(dead_code)]
pub fn chain_history(chain: &dyn Chain, market: &Pubkey) -> CliResult<LossHistory> {
    history_of(chain, &PoolRecord::read(chain, market, true)?)
}

fn history_of(chain: &dyn Chain, record: &PoolRecord) -> CliResult<LossHistory> {
    let (address, before, pool) = (record.address, &record.before, &record.after);
    if (pool.loss_stats, pool.total_claims_paid) != (before.loss_stats, before.total_claims_paid) {
        return Err("the pool recorded new losses while its history was read: run again".into());
    }
    let (mut shortfalls, mut truncated) = (Vec::new(), 0);
    for tx in &record.transactions {
        let events = actuary::history::shortfalls_from_logs(
            tx.block_time.unwrap_or_default(),
            &address,
            &tx.logs,
        );
        if !events.is_empty() && tx.block_time.is_none() {
            return Err(format!(
                "transaction {} has no block time to date its shortfall",
                tx.signature
            ));
        }
        truncated += actuary::history::logs_truncated(&tx.logs) as usize;
        shortfalls.extend(events);
    }
    // Now, or the newest report if the node's clock lags its transactions.
    let now = shortfalls
        .iter()
        .map(|e| e.time)
        .fold(chain.now()?, i64::max);
    actuary::history::pool_history(
        &address,
        &pool.loss_stats,
        pool.total_claims_paid,
        shortfalls,
        truncated,
        record.claims.iter().map(|(_, c)| c),
        (pool.created_at, now.max(pool.created_at + 1)),
    )
}

/// Signatures per `getSignaturesForAddress` page (the RPC maximum).
pub const SIGNATURE_PAGE: usize = 1_000;

/// Every item of a paged history: `page(cursor)` returns the page before `cursor` (the
/// oldest item so far; `None` for the newest page), until a page comes back empty. An
/// item seen twice (a node ignoring the cursor) is refused rather than looped on.
pub fn all_pages<T>(
    mut page: impl FnMut(Option<&T>) -> CliResult<Vec<T>>,
    key: impl Fn(&T) -> String,
) -> CliResult<Vec<T>> {
    let mut all: Vec<T> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    loop {
        let batch = page(all.last())?;
        if batch.is_empty() {
            return Ok(all);
        }
        for item in batch {
            if !seen.insert(key(&item)) {
                return Err(format!(
                    "the node returned {} twice while paging the history",
                    key(&item)
                ));
            }
            all.push(item);
        }
    }
}

/// Every successful transaction of `address` with its logs, over JSON-RPC: the whole
/// signature history, paged with `before` until exhausted.
pub fn rpc_transaction_logs(
    rpc: &solana_rpc_client::rpc_client::RpcClient,
    address: &Pubkey,
) -> CliResult<Vec<TransactionLogs>> {
    use solana_rpc_client::api::config::RpcTransactionConfig;
    use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
    use solana_transaction_status_client_types::UiTransactionEncoding;
    let commitment = Some(solana_commitment_config::CommitmentConfig::confirmed());
    let statuses = all_pages(
        |last: Option<
            &solana_rpc_client::api::response::RpcConfirmedTransactionStatusWithSignature,
        >| {
            let before = last
                .map(|s| s.signature.parse::<solana_signature::Signature>())
                .transpose()
                .map_err(|e| format!("{e:?}"))?;
            rpc.get_signatures_for_address_with_config(
                address,
                GetConfirmedSignaturesForAddress2Config {
                    before,
                    until: None,
                    limit: Some(SIGNATURE_PAGE),
                    commitment,
                },
            )
            .map_err(|e| e.to_string())
        },
        |s| s.signature.clone(),
    )?;
    let mut out = Vec::new();
    for status in statuses.iter().filter(|s| s.err.is_none()) {
        let signature: solana_signature::Signature =
            status.signature.parse().map_err(|e| format!("{e:?}"))?;
        let tx = rpc
            .get_transaction_with_config(
                &signature,
                RpcTransactionConfig {
                    encoding: Some(UiTransactionEncoding::Json),
                    commitment,
                    max_supported_transaction_version: Some(0),
                },
            )
            .map_err(|e| format!("{signature}: {e}"))?;
        let logs: Option<Vec<String>> = tx.transaction.meta.and_then(|m| m.log_messages.into());
        out.push(TransactionLogs {
            signature: status.signature.clone(),
            block_time: tx.block_time.or(status.block_time),
            logs: logs.unwrap_or_default(),
        });
    }
    Ok(out)
}
