//! Premium recommendation: the smallest base rate (and, when the rate alone cannot do
//! it, the largest per-event cap) that keeps the ruin probability at or below a
//! target, found by bisection on the simulated ruin probability.
//!
//! Every candidate is simulated with the same seed (common random numbers), so the
//! estimated ruin probability is, path by path, non-increasing in the base rate and
//! non-decreasing in the per-event cap; the bisection is therefore well defined on the
//! estimate itself. [`sweep_base_rate`] records the curve it searched on.

use insurance_pool::constants::MAX_RATE_BPS;
use rayon::prelude::*;
use serde::Serialize;

use crate::sim::{ruin_probability, simulate, PoolModel, SimConfig, SimSummary};

/// Default ruin-probability target over the horizon (0.5 %).
pub const DEFAULT_TARGET: f64 = 0.005;

/// The result of a search.
#[derive(Clone, Debug, Serialize)]
pub struct Recommendation {
    pub target: f64,
    /// Ruin probability with the current parameters.
    pub current_ruin: f64,
    /// Smallest base rate (bps per coverage term) meeting the target, if any base rate
    /// up to `MAX_RATE_BPS` does.
    pub base_rate: Option<u64>,
    /// The curve's `max_rate` must be at least the base rate, or the clamp undoes it.
    pub max_rate: Option<u64>,
    pub ruin_at_base_rate: Option<f64>,
    /// Set when the base rate was searched at a confidence over the bootstrap
    /// replicates (`--confidence`); then `ruin_at_base_rate` is the point estimate's
    /// (or the mixture's) ruin there.
    pub confidence: Option<f64>,
    /// The share of the replicates meeting the target at that base rate.
    pub share_meeting_target: Option<f64>,
    /// Largest per-event cap meeting the target at the current base rate (searched
    /// only when the current parameters miss it).
    pub per_event_cap: Option<u64>,
    pub ruin_at_per_event_cap: Option<f64>,
    /// Simulations run by the search.
    pub evaluations: usize,
}

fn ruin(model: &PoolModel, cfg: &SimConfig, evaluations: &mut usize) -> Result<f64, String> {
    *evaluations += 1;
    ruin_probability(model, cfg)
}

/// Searches the base rate and, if needed, the per-event cap. `cfg.progress` is
/// ignored (searches run many short simulations).
pub fn recommend(
    model: &PoolModel,
    cfg: &SimConfig,
    target: f64,
) -> Result<Recommendation, String> {
    let cfg = SimConfig {
        progress: false,
        ..cfg.clone()
    };
    let mut evaluations = 0;
    let current_ruin = ruin(model, &cfg, &mut evaluations)?;
    let mut rec = Recommendation {
        target,
        current_ruin,
        base_rate: None,
        max_rate: None,
        ruin_at_base_rate: None,
        confidence: None,
        share_meeting_target: None,
        per_event_cap: None,
        ruin_at_per_event_cap: None,
        evaluations: 0,
    };

    // Base rate: bisection on [0, MAX_RATE_BPS] for the smallest passing value.
    if let Some((base, ruin)) = smallest_base_rate(model, &cfg, target, &mut evaluations)? {
        rec.base_rate = Some(base);
        rec.max_rate = Some(model.curve.max_rate.max(base));
        rec.ruin_at_base_rate = Some(ruin);
    }

    // Per-event cap at the current rate: largest passing cap, bisected to 0.5 %.
    if current_ruin > target {
        let mut m = model.clone();
        let (mut lo, mut hi) = (1u64, model.per_event_cap); // hi fails
        m.per_event_cap = lo;
        let at_lo = ruin(&m, &cfg, &mut evaluations)?;
        if at_lo <= target {
            let mut best = (lo, at_lo);
            while hi > lo + lo / 200 + 1 {
                let mid = lo + (hi - lo) / 2;
                m.per_event_cap = mid;
                let r = ruin(&m, &cfg, &mut evaluations)?;
                if r <= target {
                    lo = mid;
                    best = (mid, r);
                } else {
                    hi = mid;
                }
            }
            rec.per_event_cap = Some(best.0);
            rec.ruin_at_per_event_cap = Some(best.1);
        }
    }
    rec.evaluations = evaluations;
    Ok(rec)
}

/// The smallest base rate in `[0, MAX_RATE_BPS]` whose simulated ruin probability is at
/// most `target`, with that probability (`None` if even `MAX_RATE_BPS` misses it):
/// bisection under common random numbers. Counts its simulations in `evaluations`.
pub fn smallest_base_rate(
    model: &PoolModel,
    cfg: &SimConfig,
    target: f64,
    evaluations: &mut usize,
) -> Result<Option<(u64, f64)>, String> {
    let top = ruin(&with_base_rate(model, MAX_RATE_BPS), cfg, evaluations)?;
    if top > target {
        return Ok(None);
    }
    let bottom = ruin(&with_base_rate(model, 0), cfg, evaluations)?;
    if bottom <= target {
        return Ok(Some((0, bottom)));
    }
    let (mut lo, mut hi, mut at_hi) = (0u64, MAX_RATE_BPS, top); // hi passes, lo fails
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let r = ruin(&with_base_rate(model, mid), cfg, evaluations)?;
        if r <= target {
            (hi, at_hi) = (mid, r);
        } else {
            lo = mid;
        }
    }
    Ok(Some((hi, at_hi)))
}

/// The smallest base rate in `[0, MAX_RATE_BPS]` that meets `target` under at least a
/// share `confidence` of `scenarios`, each simulated **on its own** (`cfg.paths` paths,
/// `cfg.seed + j` for scenario `j`, the same seeds at every rate: common random
/// numbers, so each scenario's ruin, and with it the share passing, is monotone in the
/// rate). With the fit's bootstrap replicates as scenarios this is a confidence bound:
/// the rate is enough for the pool unless the true parameters are worse than all but
/// `1 − confidence` of the replicates. (A mixture of the same replicates, as
/// `--parameter-uncertainty` simulates, averages the ruin over them instead: a smaller
/// rate when the estimate is low.) Returns the rate and the share of scenarios meeting
/// the target there (`None` if even `MAX_RATE_BPS` misses). With `n` scenarios the
/// share is counted in steps of `1/n`: a confidence above `n/(n+1)` asks for all of
/// them, which is as far as `n` replicates can vouch (40 replicates: ~97.6 %).
pub fn smallest_base_rate_with_confidence(
    model: &PoolModel,
    cfg: &SimConfig,
    target: f64,
    confidence: f64,
    evaluations: &mut usize,
) -> Result<Option<(u64, f64)>, String> {
    if cfg.scenarios.is_empty() || !(0.0..=1.0).contains(&confidence) {
        return Err("a confidence in [0, 1] over at least one scenario is needed".into());
    }
    let need = (confidence * cfg.scenarios.len() as f64).ceil() as usize;
    let share_passing = |base: u64, evaluations: &mut usize| -> Result<(bool, f64), String> {
        let m = with_base_rate(model, base);
        // The scenarios in parallel (each simulation's result does not depend on the
        // thread count, so neither does the share).
        let ruins: Vec<f64> = cfg
            .scenarios
            .par_iter()
            .enumerate()
            .map(|(j, &s)| {
                let one = SimConfig {
                    scenarios: vec![s],
                    seed: cfg.seed.wrapping_add(j as u64),
                    ..cfg.clone()
                };
                ruin_probability(&m, &one)
            })
            .collect::<Result<_, String>>()?;
        *evaluations += ruins.len();
        let passing = ruins.iter().filter(|&&r| r <= target).count();
        Ok((passing >= need, passing as f64 / cfg.scenarios.len() as f64))
    };
    let (ok, top) = share_passing(MAX_RATE_BPS, evaluations)?;
    if !ok {
        return Ok(None);
    }
    let (ok, bottom) = share_passing(0, evaluations)?;
    if ok {
        return Ok(Some((0, bottom)));
    }
    let (mut lo, mut hi, mut at_hi) = (0u64, MAX_RATE_BPS, top);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let (ok, share) = share_passing(mid, evaluations)?;
        if ok {
            (hi, at_hi) = (mid, share);
        } else {
            lo = mid;
        }
    }
    Ok(Some((hi, at_hi)))
}

/// `model` with base rate `base` (and a `max_rate` at least `base`, or the clamp would
/// undo it): the change `update_pool_params` makes.
pub fn with_base_rate(model: &PoolModel, base: u64) -> PoolModel {
    let mut m = model.clone();
    m.curve.base_rate = base;
    m.curve.max_rate = m.curve.max_rate.max(base);
    m
}

/// Ruin probability (with its summary) at each base rate of `rates`.
pub fn sweep_base_rate(
    model: &PoolModel,
    cfg: &SimConfig,
    rates: &[u64],
) -> Result<Vec<(u64, SimSummary)>, String> {
    let cfg = SimConfig {
        progress: false,
        ..cfg.clone()
    };
    rates
        .iter()
        .map(|&r| Ok((r, simulate(&with_base_rate(model, r), &cfg)?)))
        .collect()
}
