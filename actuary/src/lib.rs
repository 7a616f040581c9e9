//! Actuarial engine of the segregated insurance pool.
//!
//! Governance feeds it a pool's loss history and parameters; it fits a
//! frequency × severity model ([`fit`]), simulates the pool's capital with the
//! program's own payout math ([`sim`]), searches the smallest base rate that keeps the
//! ruin probability under a target ([`recommend`]), and writes a report with plots
//! ([`report`]). The `insurance-pool actuary` CLI command drives it.
//!
//! Income is premium and, when the model has a `volume_per_day`, the volume fees
//! exchanges pay through `contribute_volume` (see [`sim`]): the recommended base rate
//! is the premium that, on top of the volume income, keeps the pool within the target.

pub mod backtest;
pub mod dist;
pub mod fit;
pub mod history;
pub mod recommend;
pub mod report;
pub mod sim;

use serde::Serialize;

pub use dist::{Frequency, Gpd, LogNormal, Severity};
pub use fit::{fit_loss_model, LossModelFit};
pub use history::{LossEvent, LossHistory, VolumeEstimate, VolumeEvent, YEAR_SECS};
pub use recommend::{recommend, Recommendation, DEFAULT_TARGET};
pub use sim::{simulate, PoolModel, SimConfig, SimSummary};

/// Everything one analysis needs.
#[derive(Clone, Debug)]
pub struct AnalysisInput {
    /// A name for the report (e.g. the market address).
    pub label: Option<String>,
    pub history: LossHistory,
    pub model: PoolModel,
    /// Decimals of the pool token (display only).
    pub decimals: u8,
    /// Paths of the main simulation.
    pub paths: usize,
    /// Paths of each simulation in the recommendation search and sweep.
    pub search_paths: usize,
    pub horizon_secs: i64,
    pub seed: u64,
    /// Peaks-over-threshold threshold (base units); default: the 90 % quantile.
    pub threshold: Option<f64>,
    /// Bootstrap replicates for GOF p-values and parameter uncertainty.
    pub bootstrap: usize,
    /// Draw each path's parameters from the bootstrap replicates.
    pub parameter_uncertainty: bool,
    /// Recommend the base rate at this confidence over the bootstrap replicates
    /// ([`recommend::smallest_base_rate_with_confidence`]: the first
    /// [`CONFIDENCE_REPLICATES`] replicates, `search_paths / 8` paths each, at least
    /// 1 000) instead of on the point estimate or mixture. Needs bootstrap replicates.
    pub confidence: Option<f64>,
    /// Ruin-probability target (default [`DEFAULT_TARGET`]).
    pub target: f64,
    pub progress: bool,
}

/// The results of one analysis.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    pub fit: LossModelFit,
    pub summary: SimSummary,
    pub recommendation: Recommendation,
    /// Ruin probability at a grid of base rates (for the plot).
    pub sweep: Vec<(u64, SimSummary)>,
}

/// Bootstrap replicates a confidence-level recommendation simulates (each on its own).
pub const CONFIDENCE_REPLICATES: usize = 40;

/// Capital checkpoints of the main simulation (weekly over a year).
pub const CHECKPOINTS: usize = 52;

/// Fits, simulates, recommends.
pub fn analyse(input: &AnalysisInput) -> Result<Analysis, String> {
    let fit = fit_loss_model(&input.history, input.threshold, input.bootstrap, input.seed)?;
    let scenarios = fit.scenarios(input.parameter_uncertainty);
    let cfg = SimConfig {
        paths: input.paths,
        horizon_secs: input.horizon_secs,
        seed: input.seed,
        checkpoints: CHECKPOINTS,
        scenarios,
        progress: input.progress,
    };
    let summary = simulate(&input.model, &cfg)?;
    let search = SimConfig {
        paths: input.search_paths,
        checkpoints: 0,
        ..cfg
    };
    let mut recommendation = recommend(&input.model, &search, input.target)?;
    if let Some(q) = input.confidence {
        if fit.replicates.is_empty() {
            return Err("a recommendation at a confidence needs bootstrap replicates".into());
        }
        let each = SimConfig {
            paths: (input.search_paths / 8).max(1_000),
            scenarios: fit
                .replicates
                .iter()
                .take(CONFIDENCE_REPLICATES)
                .copied()
                .collect(),
            ..search.clone()
        };
        let mut evaluations = 0;
        let found = recommend::smallest_base_rate_with_confidence(
            &input.model,
            &each,
            input.target,
            q,
            &mut evaluations,
        )?;
        recommendation.confidence = Some(q);
        recommendation.evaluations += evaluations;
        recommendation.base_rate = found.map(|(b, _)| b);
        recommendation.max_rate = found.map(|(b, _)| input.model.curve.max_rate.max(b));
        recommendation.share_meeting_target = found.map(|(_, share)| share);
        recommendation.ruin_at_base_rate = match found {
            Some((b, _)) => Some(
                simulate(&recommend::with_base_rate(&input.model, b), &search)?.ruin_probability,
            ),
            None => None,
        };
    }
    let top = recommendation
        .base_rate
        .unwrap_or(input.model.curve.base_rate)
        .max(input.model.curve.base_rate)
        .max(10)
        * 2;
    let mut rates: Vec<u64> = (0..=12).map(|i| top * i / 12).collect();
    rates.extend(recommendation.base_rate);
    rates.sort_unstable();
    rates.dedup();
    let sweep = recommend::sweep_base_rate(&input.model, &search, &rates)?;
    Ok(Analysis {
        fit,
        summary,
        recommendation,
        sweep,
    })
}

/// The recommendation as governance applies it: the CLI commands, in the units of
/// `update_pool_params` (curve rates in bps of notional per coverage term) and of
/// `update_exchange` (caps in base units).
pub fn recommendation_text(input: &AnalysisInput, a: &Analysis) -> String {
    let r = &a.recommendation;
    let market = input.label.clone().unwrap_or_else(|| "<MARKET>".into());
    let mut s = format!(
        "Ruin probability over the horizon with the current parameters: {:.3} % (target {:.3} %, {} paths per evaluation, {} evaluations).\n",
        r.current_ruin * 100.0,
        r.target * 100.0,
        input.search_paths,
        r.evaluations
    );
    let m = &input.model;
    if m.volume_per_day > 0 {
        let scale = 10f64.powi(input.decimals as i32);
        s += &format!(
            "Income includes the volume fees: {:.2} tokens of volume a day at {} bps now ({:.2} tokens a year net of the protocol fee; the rate follows the volume curve as losses raise the decaying loss index), so the premium below is what is needed on top of them.\n",
            m.volume_per_day as f64 / scale,
            m.initial_volume_rate(),
            m.annual_volume_income_now() as f64 / scale,
        );
    }
    match (r.base_rate, r.max_rate, r.ruin_at_base_rate) {
        (Some(base), Some(max), Some(p)) => {
            let max_flag = if max != input.model.curve.max_rate { format!(" --max-rate {max}") } else { String::new() };
            let at = match (r.confidence, r.share_meeting_target) {
                (Some(q), Some(share)) => format!(
                    " at {:.0} % confidence (it meets the target under {:.0} % of the fit's bootstrap replicates, each simulated on its own; the point estimate's",
                    q * 100.0,
                    share * 100.0
                ),
                _ => String::new(),
            };
            let close = if at.is_empty() { "" } else { ")" };
            s += &format!(
                "\nSmallest base rate meeting the target{at}: **{base} bps** per coverage term (ruin {:.3} %{close}). Apply with `update_pool_params` (`params.curve.base_rate = {base}`{}):\n\n```\ninsurance-pool update-params {market} --base-rate {base}{max_flag}\n```\n",
                p * 100.0,
                if max_flag.is_empty() { String::new() } else { format!(", `params.curve.max_rate = {max}`") },
            );
        }
        _ => s += "\nNo base rate up to the 100 % maximum meets the target: the pool needs capital or tighter caps.\n",
    }
    match (r.per_event_cap, r.ruin_at_per_event_cap) {
        (Some(cap), Some(p)) => {
            s += &format!(
                "\nAlternatively, at the current base rate, the largest per-event cap meeting the target is **{cap}** base units ({:.2} tokens; ruin {:.3} %). Apply with `update_exchange` (`limits.per_event_cap = {cap}`, `per_epoch_cap = {}`, `epoch_length = {}`).\n",
                cap as f64 / 10f64.powi(input.decimals as i32),
                p * 100.0,
                input.model.per_epoch_cap.max(cap),
                input.model.epoch_length
            );
        }
        _ if r.current_ruin > r.target => s += "\nNo per-event cap alone meets the target at the current base rate.\n",
        _ => s += "\nThe current parameters already meet the target; the base rate above is the floor governance may lower it to.\n",
    }
    s
}
