//! Monte Carlo of one pool's capital: premium and volume income in, shortfall payouts
//! out, with the per-event cap, the per-epoch cap and the solvency floor applied by the
//! program's own functions ([`cover_amount`], [`current_epoch_start`],
//! [`curve_rate`], [`premium_for`], [`volume_target_rate`], [`decayed_loss`],
//! [`volume_fee`]).
//!
//! Model (one path):
//! - Losses arrive as a Poisson process (or, for the negative binomial, a Poisson
//!   process whose rate is redrawn from a Gamma each year); sizes follow the severity.
//! - Exposure (active cover notional) is constant, renewed as covers expire, but never
//!   above `max_exposure_bps` of current capital (the program refuses cover beyond it).
//! - Premium accrues continuously, net of the protocol fee. Each day the curve's target
//!   rate is set from that day's opening utilisation and the charged rate moves towards
//!   it by at most `max_rate_change_per_day` (the program's `smoothed_rate`). A day's
//!   premium is rounded once (up, as `premium_for` does); a loss sees the premium
//!   accrued since the day began.
//! - Volume income (`contribute_volume`): exchanges report a constant
//!   `volume_per_day`. Each day's volume rate is the program's rule at that day's
//!   opening state, as `Pool::volume_quote` computes it: `volume_target_rate` on the
//!   day's opening free capital and the path's **loss index** decayed to that day (the
//!   program's `decayed_loss`, by whole days since the index was last recorded, as
//!   `Pool::volume_loss_at`); no charged rate is carried from day to day. Every
//!   simulated loss is a shortfall of the modelled exchange, which can draw, so it adds
//!   `min(loss, per-event cap)` to the index as `cover_shortfall` does
//!   (`Pool::record_volume_loss`: decayed to the loss's day, then added), whatever it
//!   pays. The day's fee (`volume_fee`, rounded up once for the day, net of the
//!   protocol fee) joins the day's premium and accrues with it. Fidelity, decided: the
//!   volume does not react to the fee; the rate follows losses from the next day, not
//!   from the next trade; the index decays at the simulation's day boundaries (every
//!   86 400 s from the start), not at the chain's UTC days; the per-event cap is the
//!   model's `per_event_cap` (the registration's `per_event_bps` of free capital is
//!   not modelled, here as for the payouts); and the fee counts as capital as it is
//!   paid, while the program earns it over `VOLUME_EARNING_PERIOD` (7 days). With a
//!   constant volume and rate the lag does not change the income per day (the unearned
//!   reserve of the past week, not modelled, earns meanwhile, as for premiums); it only
//!   delays by a few days the extra income of a rate raised by a loss.
//! - Each loss is paid `min(loss, per-event cap, epoch room, capital above floor)`.
//! - **Ruin** is the first loss whose cap-limited payout the capital above the
//!   solvency floor cannot cover in full (the pool breaks its promise to the exchange).
//!   With unlimited caps and a zero floor this is the classical ruin `capital < 0`.
//!   The path goes on after ruin (paying what it can) so payout and uncovered-loss
//!   distributions stay complete.
//!
//! Reproducibility: path `i` draws from its own generator seeded by `(seed, i)`, and
//! results are reduced in path order, so a run depends on the seed only - not on the
//! thread count or scheduling.

use indicatif::{ProgressBar, ProgressStyle};
use insurance_pool::math::premium::{
    bps_of_floor, charged_rate, curve_rate, exposure_cap, premium_for, utilisation_bps, Curve, BPS,
};
use insurance_pool::math::safe_math::mul_div_floor;
use insurance_pool::math::shortfall::{cover_amount, current_epoch_start, solvency_floor};
use insurance_pool::math::volume::{decayed_loss, volume_fee, volume_target_rate, VolumeCurve};
use insurance_pool::math::CoverLimit;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1, Gamma};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dist::{Frequency, Severity};
use crate::history::YEAR_SECS;

/// Seconds between rate updates: the premium rate is set once a day.
pub const RATE_UPDATE_SECS: i64 = 86_400;

/// Everything about a pool the simulation needs, in the program's units.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PoolModel {
    /// Accounted capital at the start (base units).
    pub capital: u64,
    /// Active cover notional, held constant (base units).
    pub exposure: u64,
    /// The premium curve (bps of notional per coverage term).
    pub curve: Curve,
    /// Length of one cover term in seconds (the curve's rate is per term).
    pub coverage_duration: i64,
    /// Exposure cap in bps of capital.
    pub max_exposure_bps: u64,
    /// Protocol fee, bps of each premium (not capital).
    pub protocol_fee_bps: u64,
    /// Capital shortfall payouts never touch.
    pub min_reserve: u64,
    /// Capital reserved for approved claims (part of the floor).
    pub reserved_for_claims: u64,
    /// The exchange's per-event cap (base units).
    pub per_event_cap: u64,
    /// The exchange's per-epoch cap (base units).
    pub per_epoch_cap: u64,
    /// Epoch length in seconds.
    pub epoch_length: i64,
    /// Most the charged rate moves per day (bps; `smoothed_rate`). Absent: no limit.
    #[serde(default = "no_limit")]
    pub max_rate_change_per_day: u64,
    /// The rate charged at the start (the pool's `rate_bps`). Absent: the curve's rate
    /// at the starting capital.
    #[serde(default)]
    pub initial_rate_bps: Option<u64>,
    /// Trading volume exchanges report through `contribute_volume` per day (base
    /// units), held constant. Absent: 0, no volume income (then the volume fields below
    /// do not matter).
    #[serde(default)]
    pub volume_per_day: u64,
    /// The pool's volume curve (`params.volume`, bps of volume). Absent: all zero (no
    /// volume income whatever the volume).
    #[serde(default = "no_volume_curve")]
    pub volume: VolumeCurve,
    /// The volume rate's loss index at the start (base units): the pool's
    /// `volume_loss` decayed to now (`Pool::volume_loss_at`, the `loss_index` of
    /// `quote_volume`). Absent: 0, no loss history.
    #[serde(default)]
    pub loss_index: u64,
}

fn no_limit() -> u64 {
    u64::MAX
}

/// A volume curve that charges nothing.
pub fn no_volume_curve() -> VolumeCurve {
    VolumeCurve {
        base_rate: 0,
        loss_slope: 0,
        min_rate: 0,
        max_rate: 0,
        loss_decay_per_day: BPS,
    }
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl PoolModel {
    /// The pool's rate (bps per term) at `capital`, and the exposure it sells there.
    pub fn rate_and_exposure(&self, capital: u64) -> (u64, u64) {
        let exposure = self
            .exposure
            .min(exposure_cap(capital, self.max_exposure_bps));
        (
            curve_rate(&self.curve, utilisation_bps(exposure, capital)),
            exposure,
        )
    }

    /// The rate charged at `capital`, `elapsed` seconds after charging `last`: never
    /// below the curve's target, falling from `last` by at most the daily allowance
    /// (`smoothed_rate`), clamped to `[min_rate, max_rate]`: the program's own
    /// `charged_rate`, as `Pool::quote` uses it;
    /// with the exposure sold at that capital.
    pub fn charged_rate(&self, last: u64, capital: u64, elapsed: i64) -> (u64, u64) {
        let (target, exposure) = self.rate_and_exposure(capital);
        let rate = charged_rate(
            &self.curve,
            last,
            target,
            self.max_rate_change_per_day,
            elapsed,
        );
        (rate, exposure)
    }

    /// Premium (net of the protocol fee) earned by `exposure` at `rate` over `secs`.
    pub fn net_premium(&self, exposure: u64, rate: u64, secs: i64) -> u64 {
        let term = self.coverage_duration.max(1);
        let full = (secs / term) as u64;
        // `covered / term` reduced by their gcd: the same rational, so exactly the same
        // `premium_for`, but its product usually fits 64 bits (the fast path).
        let rem = secs % term;
        let g = gcd(rem, term).max(1);
        let part = premium_for(exposure, rate, rem / g, term / g).unwrap_or(u64::MAX);
        let gross = match full {
            0 => part,
            _ => premium_for(exposure, rate, term, term)
                .unwrap_or(u64::MAX)
                .saturating_mul(full)
                .saturating_add(part),
        };
        gross.saturating_sub(bps_of_floor(gross, self.protocol_fee_bps).unwrap_or(0))
    }

    /// Net premium per year at the starting capital (for reports).
    pub fn annual_premium_now(&self) -> u64 {
        let (rate, exposure) = self.rate_and_exposure(self.capital);
        self.net_premium(exposure, rate, YEAR_SECS)
    }

    /// The volume rate charged at `capital` with loss index `loss_index` (already
    /// decayed to the day): `Pool::volume_quote`'s rule, the program's
    /// `volume_target_rate` on free capital (capital less `reserved_for_claims`).
    pub fn volume_rate(&self, loss_index: u64, capital: u64) -> u64 {
        let free = capital.saturating_sub(self.reserved_for_claims);
        volume_target_rate(&self.volume, loss_index, free)
    }

    /// A loss index recorded `days` whole days ago, decayed to today by the volume
    /// curve's `loss_decay_per_day` (the program's `decayed_loss`, as
    /// `Pool::volume_loss_at`).
    pub fn decayed_loss_index(&self, index: u64, days: i64) -> u64 {
        decayed_loss(index, self.volume.loss_decay_per_day, days.max(0) as u64)
    }

    /// The loss index after the modelled exchange reports a shortfall of `loss` on day
    /// `day`, from `index` recorded on day `index_day`: decayed to the day, plus the
    /// loss capped at the per-event limit, as `cover_shortfall` records it for a
    /// registration that can draw (`Pool::record_volume_loss`). `(index, day)`.
    pub fn record_volume_loss(
        &self,
        index: u64,
        index_day: i64,
        loss: u64,
        day: i64,
    ) -> (u64, i64) {
        let decayed = self.decayed_loss_index(index, day - index_day);
        (decayed.saturating_add(loss.min(self.per_event_cap)), day)
    }

    /// The volume rate at the start: the program's rule on the starting capital and
    /// loss index.
    pub fn initial_volume_rate(&self) -> u64 {
        self.volume_rate(self.loss_index, self.capital)
    }

    /// Volume fee (net of the protocol fee) on `secs` of the daily volume at `rate`:
    /// `volume_fee` on the volume of that time, rounded up once.
    pub fn net_volume_fee(&self, rate: u64, secs: i64) -> u64 {
        let volume = mul_div_floor(
            self.volume_per_day,
            secs.max(0) as u64,
            RATE_UPDATE_SECS as u64,
        )
        .unwrap_or(u64::MAX);
        let fee = volume_fee(volume, rate).unwrap_or(u64::MAX);
        fee.saturating_sub(bps_of_floor(fee, self.protocol_fee_bps).unwrap_or(0))
    }

    /// Net volume income per year at the starting rate (for reports).
    pub fn annual_volume_income_now(&self) -> u64 {
        if self.volume_per_day == 0 {
            return 0;
        }
        self.net_volume_fee(self.initial_volume_rate(), RATE_UPDATE_SECS)
            .saturating_mul((YEAR_SECS / RATE_UPDATE_SECS) as u64)
    }
}

/// What to simulate and how.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub paths: usize,
    /// Horizon in seconds.
    pub horizon_secs: i64,
    pub seed: u64,
    /// Capital is recorded at this many equally spaced times (plus time 0).
    pub checkpoints: usize,
    /// Loss scenarios: one (frequency, severity) per path, drawn uniformly - a single
    /// entry for a point estimate, bootstrap replicates for parameter uncertainty.
    pub scenarios: Vec<(Frequency, Severity)>,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

/// One path's outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PathOutcome {
    /// Time of ruin (seconds from start), if any.
    pub ruin_time: Option<i64>,
    pub losses: u32,
    pub payouts: u64,
    /// Losses not paid (caps and capital together).
    pub uncovered: u64,
    /// The part of `uncovered` due to capital only (cap-limited demand not met).
    pub unmet_by_capital: u64,
    pub premiums: u64,
    /// Volume fees earned (net of the protocol fee).
    pub volume_income: u64,
    pub final_capital: u64,
}

/// Aggregated simulation results.
#[derive(Clone, Debug, Serialize)]
pub struct SimSummary {
    pub paths: usize,
    pub horizon_secs: i64,
    pub seed: u64,
    pub ruin_probability: f64,
    /// Standard error of `ruin_probability` (binomial).
    pub ruin_std_error: f64,
    /// VaR / ES at 99.5 % of the capital loss `initial − final` (negative = gain).
    pub capital_loss_var_995: f64,
    pub capital_loss_es_995: f64,
    /// VaR / ES at 99.5 % of total payouts over the horizon.
    pub payouts_var_995: f64,
    pub payouts_es_995: f64,
    pub mean_payouts: f64,
    pub mean_uncovered: f64,
    pub mean_unmet_by_capital: f64,
    pub mean_premiums: f64,
    /// Mean volume income (net of the protocol fee) over the horizon.
    pub mean_volume_income: f64,
    pub mean_losses: f64,
    /// Quantiles (5, 25, 50, 75, 95, 99.5 %) of payouts and of uncovered losses.
    pub payout_quantiles: [f64; 6],
    pub uncovered_quantiles: [f64; 6],
    /// Capital quantiles (5, 25, 50, 75, 95 %) at each checkpoint: (time, quantiles).
    pub fan: Vec<(i64, [f64; 5])>,
}

/// The quantile levels of [`SimSummary::payout_quantiles`].
pub const OUTCOME_LEVELS: [f64; 6] = [0.05, 0.25, 0.5, 0.75, 0.95, 0.995];
/// The quantile levels of [`SimSummary::fan`].
pub const FAN_LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// The generator of path `i` under `seed`.
pub fn path_rng(seed: u64, i: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Loss arrivals of one path.
struct Arrivals {
    frequency: Frequency,
    /// Current yearly rate (redrawn each year for the negative binomial).
    rate: f64,
    year_end: i64,
}

impl Arrivals {
    fn new<R: Rng>(frequency: Frequency, rng: &mut R) -> Self {
        let mut a = Arrivals {
            frequency,
            rate: 0.0,
            year_end: 0,
        };
        a.redraw(rng);
        a.year_end = YEAR_SECS;
        a
    }

    fn redraw<R: Rng>(&mut self, rng: &mut R) {
        self.rate = match self.frequency {
            Frequency::Poisson { rate } => rate,
            Frequency::NegativeBinomial { rate, r } => match Gamma::new(r, rate / r) {
                Ok(g) => g.sample(rng),
                Err(_) => rate,
            },
        };
    }

    /// Time of the next loss after `t` (i64::MAX if none can come).
    fn next_after<R: Rng>(&mut self, mut t: i64, horizon: i64, rng: &mut R) -> i64 {
        loop {
            if t >= horizon {
                return i64::MAX;
            }
            let gap = if self.rate > 0.0 {
                let e: f64 = Exp1.sample(rng);
                e / self.rate * YEAR_SECS as f64
            } else {
                f64::INFINITY
            };
            let next = t as f64 + gap.max(1.0);
            match self.frequency {
                Frequency::NegativeBinomial { .. } if next >= self.year_end as f64 => {
                    // Memoryless: restart from the year boundary with the new year's rate.
                    t = self.year_end;
                    self.year_end += YEAR_SECS;
                    self.redraw(rng);
                }
                _ => {
                    return if next >= horizon as f64 {
                        i64::MAX
                    } else {
                        next.ceil() as i64
                    }
                }
            }
        }
    }
}

/// Net premium of a full day at the full exposure, by rate: a path sells its full
/// exposure almost always, and the rate is clamped to `[min_rate, max_rate]`, so one
/// table per block of paths replaces almost every `premium_for` call. The same for the
/// day's volume fee by volume rate.
struct DayPremiums {
    exposure: u64,
    by_rate: Vec<u64>,
    volume_by_rate: Vec<u64>,
}

/// Largest rate range tabulated (wider curves compute each day's premium).
const MAX_TABLE: u64 = 1 << 16;

impl DayPremiums {
    fn new(model: &PoolModel) -> Self {
        let top = model.curve.max_rate.max(model.curve.min_rate);
        let by_rate = if top < MAX_TABLE {
            (0..=top)
                .map(|r| model.net_premium(model.exposure, r, RATE_UPDATE_SECS))
                .collect()
        } else {
            Vec::new()
        };
        let top = model.volume.max_rate;
        let volume_by_rate = if model.volume_per_day > 0 && top < MAX_TABLE {
            (0..=top)
                .map(|r| model.net_volume_fee(r, RATE_UPDATE_SECS))
                .collect()
        } else {
            Vec::new()
        };
        DayPremiums {
            exposure: model.exposure,
            by_rate,
            volume_by_rate,
        }
    }

    #[inline]
    fn get(&self, model: &PoolModel, exposure: u64, rate: u64, day_len: i64) -> u64 {
        match self.by_rate.get(rate as usize) {
            Some(&p) if exposure == self.exposure && day_len == RATE_UPDATE_SECS => p,
            _ => model.net_premium(exposure, rate, day_len),
        }
    }

    #[inline]
    fn volume(&self, model: &PoolModel, rate: u64, day_len: i64) -> u64 {
        match self.volume_by_rate.get(rate as usize) {
            Some(&f) if day_len == RATE_UPDATE_SECS => f,
            _ => model.net_volume_fee(rate, day_len),
        }
    }
}

/// The state of one path between days.
struct PathState<'a> {
    model: &'a PoolModel,
    severity: Severity,
    rng: Xoshiro256PlusPlus,
    arrivals: Arrivals,
    horizon: i64,
    floor: u64,
    next_loss: i64,
    capital: u64,
    /// The rate charged (smoothed towards the curve's target once a day).
    rate: u64,
    /// The volume rate's loss index as of the start of day `loss_day` (the pool's
    /// `volume_loss` and `volume_loss_day`).
    loss_index: u64,
    loss_day: i64,
    epoch_start: i64,
    epoch_paid: u64,
    out: PathOutcome,
}

impl<'a> PathState<'a> {
    fn new(model: &'a PoolModel, cfg: &SimConfig, i: u64) -> Self {
        let mut rng = path_rng(cfg.seed, i);
        let (frequency, severity) = if cfg.scenarios.len() == 1 {
            cfg.scenarios[0]
        } else {
            cfg.scenarios[rng.random_range(0..cfg.scenarios.len())]
        };
        let mut arrivals = Arrivals::new(frequency, &mut rng);
        let next_loss = arrivals.next_after(0, cfg.horizon_secs, &mut rng);
        PathState {
            model,
            severity,
            rng,
            arrivals,
            horizon: cfg.horizon_secs,
            floor: solvency_floor(model.reserved_for_claims, model.min_reserve),
            next_loss,
            capital: model.capital,
            rate: model
                .initial_rate_bps
                .unwrap_or_else(|| model.rate_and_exposure(model.capital).0),
            loss_index: model.loss_index,
            loss_day: 0,
            epoch_start: 0,
            epoch_paid: 0,
            out: PathOutcome::default(),
        }
    }

    /// Runs day `day`: sets the rates, pays the day's losses, credits the day's premium
    /// and volume fees.
    #[inline]
    fn run_day(&mut self, day: i64, premiums: &DayPremiums) {
        let model = self.model;
        let day_start = day * RATE_UPDATE_SECS;
        let day_len = (self.horizon - day_start).min(RATE_UPDATE_SECS);
        // The day's rate (smoothed towards the curve) and sold exposure, from its
        // opening capital.
        let (rate, exposure) = model.charged_rate(self.rate, self.capital, RATE_UPDATE_SECS);
        self.rate = rate;
        let day_premium = premiums.get(model, exposure, rate, day_len);
        // The day's volume rate, from its opening free capital and the loss index
        // decayed to the day (a curve without loss slope does not read the index).
        let day_volume = if model.volume_per_day > 0 {
            let index = match model.volume.loss_slope {
                0 => 0,
                _ => model.decayed_loss_index(self.loss_index, day - self.loss_day),
            };
            premiums.volume(model, model.volume_rate(index, self.capital), day_len)
        } else {
            0
        };
        // Both incomes accrue over the day together.
        let day_income = day_premium.saturating_add(day_volume);
        let mut paid_today = 0u64;
        while self.next_loss < day_start + day_len {
            let t = self.next_loss;
            // Capital at the loss: the day's opening capital, the day's income pro rata
            // to the time elapsed (rounded down), less what the day already paid.
            let accrued = mul_div_floor(day_income, (t - day_start) as u64, day_len as u64)
                .unwrap_or(day_income);
            let now = self
                .capital
                .saturating_add(accrued)
                .saturating_sub(paid_today);
            // Nearest base unit, at least 1 (`+ 0.5` then truncation: no libm call).
            let loss = ((self.severity.sample(&mut self.rng) + 0.5) as u64).max(1);
            // The modelled exchange can draw: every shortfall it reports adds to the
            // loss index, capped at the per-event limit, whatever it pays
            // (`cover_shortfall`, `Pool::record_volume_loss`). Only a rate with a loss
            // slope reads it.
            if model.volume_per_day > 0 && model.volume.loss_slope > 0 {
                (self.loss_index, self.loss_day) =
                    model.record_volume_loss(self.loss_index, self.loss_day, loss, day);
            }
            let start = current_epoch_start(self.epoch_start, model.epoch_length, t);
            if start != self.epoch_start {
                self.epoch_start = start;
                self.epoch_paid = 0;
            }
            let room = model.per_epoch_cap.saturating_sub(self.epoch_paid);
            let (covered, limit) = cover_amount(
                loss,
                model.per_event_cap,
                room,
                now.saturating_sub(self.floor),
            );
            let out = &mut self.out;
            if limit == CoverLimit::SolvencyFloor {
                let demand = loss.min(model.per_event_cap).min(room);
                out.unmet_by_capital += demand - covered;
                out.ruin_time.get_or_insert(t);
            }
            paid_today += covered;
            self.epoch_paid += covered;
            out.losses += 1;
            out.payouts = out.payouts.saturating_add(covered);
            out.uncovered = out.uncovered.saturating_add(loss - covered);
            self.next_loss = self.arrivals.next_after(t, self.horizon, &mut self.rng);
        }
        self.capital = self
            .capital
            .saturating_add(day_income)
            .saturating_sub(paid_today);
        self.out.premiums = self.out.premiums.saturating_add(day_premium);
        self.out.volume_income = self.out.volume_income.saturating_add(day_volume);
    }
}

/// Paths advanced side by side, day by day: their days are independent, so the CPU
/// overlaps them instead of waiting on one path's chain of dependent arithmetic.
/// Each path keeps its own generator, so results equal one-at-a-time simulation.
const INTERLEAVE: usize = 16;

/// Simulates paths `first..first + outs.len()`, writing each path's capital at the
/// checkpoints into its row of `fans` (`outs.len()` rows of `width`): `row[0]` is the
/// starting capital, `row[k]` the capital at the end of day `round(k · days / steps)`.
pub fn simulate_paths(
    model: &PoolModel,
    cfg: &SimConfig,
    first: u64,
    outs: &mut [PathOutcome],
    fans: &mut [u64],
) {
    let width = cfg.checkpoints + 1;
    let days = (cfg.horizon_secs + RATE_UPDATE_SECS - 1) / RATE_UPDATE_SECS;
    let steps = cfg.checkpoints as i64;
    let premiums = DayPremiums::new(model);
    for (g, (outs, fans)) in outs
        .chunks_mut(INTERLEAVE)
        .zip(fans.chunks_mut(INTERLEAVE * width))
        .enumerate()
    {
        let base = first + (g * INTERLEAVE) as u64;
        let mut paths: Vec<PathState> = (0..outs.len() as u64)
            .map(|j| PathState::new(model, cfg, base + j))
            .collect();
        for (row, p) in fans.chunks_mut(width).zip(&paths) {
            row[0] = p.capital;
        }
        let mut k = 1i64; // next checkpoint
        for day in 0..days {
            for p in paths.iter_mut() {
                p.run_day(day, &premiums);
            }
            while steps > 0 && k <= steps && (k * days + steps / 2) / steps <= day + 1 {
                for (row, p) in fans.chunks_mut(width).zip(&paths) {
                    row[k as usize] = p.capital;
                }
                k += 1;
            }
        }
        for (out, p) in outs.iter_mut().zip(paths) {
            *out = PathOutcome {
                final_capital: p.capital,
                ..p.out
            };
        }
    }
}

/// Paths per progress-bar tick and per parallel task.
const BLOCK: usize = 1_024;

/// Runs `cfg.paths` paths in parallel (rayon's global pool) and summarises them.
pub fn simulate(model: &PoolModel, cfg: &SimConfig) -> Result<SimSummary, String> {
    let (outcomes, fan) = simulate_outcomes(model, cfg)?;
    Ok(summarise(model, cfg, &outcomes, &fan))
}

/// Runs the paths and returns every outcome and the capital matrix (row-major,
/// `checkpoints + 1` per path).
pub fn simulate_outcomes(
    model: &PoolModel,
    cfg: &SimConfig,
) -> Result<(Vec<PathOutcome>, Vec<u64>), String> {
    if cfg.paths == 0 || cfg.horizon_secs <= 0 || cfg.scenarios.is_empty() {
        return Err("simulation needs paths > 0, a positive horizon and a loss model".into());
    }
    if model.per_event_cap == 0 || model.epoch_length <= 0 || model.coverage_duration <= 0 {
        return Err("per-event cap, epoch length and coverage duration must be positive".into());
    }
    let v = &model.volume;
    if model.volume_per_day > 0 && !(v.min_rate <= v.base_rate && v.base_rate <= v.max_rate) {
        return Err(format!(
            "the volume curve needs min_rate <= base_rate <= max_rate (as update_pool_params \
             requires), got {} / {} / {}",
            v.min_rate, v.base_rate, v.max_rate
        ));
    }
    if model.volume_per_day > 0 && !(1..=BPS).contains(&v.loss_decay_per_day) {
        return Err(format!(
            "the volume curve's loss_decay_per_day must be in [1, 10000] bps (as \
             update_pool_params requires), got {}",
            v.loss_decay_per_day
        ));
    }
    let width = cfg.checkpoints + 1;
    let mut outcomes = vec![PathOutcome::default(); cfg.paths];
    let mut fan = vec![0u64; cfg.paths * width];
    let bar = if cfg.progress {
        let b = ProgressBar::new(cfg.paths as u64);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} paths  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    outcomes
        .par_chunks_mut(BLOCK)
        .zip(fan.par_chunks_mut(BLOCK * width))
        .enumerate()
        .for_each(|(b, (outs, fans))| {
            simulate_paths(model, cfg, (b * BLOCK) as u64, outs, fans);
            bar.inc(outs.len() as u64);
        });
    bar.finish_and_clear();
    Ok((outcomes, fan))
}

fn value_at_risk_and_es(mut xs: Vec<f64>, level: f64) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    let var = crate::fit::sorted_quantile(&xs, level);
    let tail: Vec<f64> = xs.iter().copied().filter(|&x| x >= var).collect();
    let es = if tail.is_empty() {
        var
    } else {
        tail.iter().sum::<f64>() / tail.len() as f64
    };
    (var, es)
}

fn quantiles<const N: usize>(mut xs: Vec<f64>, levels: [f64; N]) -> [f64; N] {
    xs.sort_by(f64::total_cmp);
    levels.map(|q| crate::fit::sorted_quantile(&xs, q))
}

/// Summarises outcomes (in path order, so the result is deterministic).
pub fn summarise(
    model: &PoolModel,
    cfg: &SimConfig,
    outcomes: &[PathOutcome],
    fan: &[u64],
) -> SimSummary {
    let n = outcomes.len() as f64;
    let ruined = outcomes.iter().filter(|o| o.ruin_time.is_some()).count() as f64;
    let p = ruined / n;
    let mean = |f: &dyn Fn(&PathOutcome) -> f64| outcomes.iter().map(f).sum::<f64>() / n;
    let capital_loss: Vec<f64> = outcomes
        .iter()
        .map(|o| model.capital as f64 - o.final_capital as f64)
        .collect();
    let payouts: Vec<f64> = outcomes.iter().map(|o| o.payouts as f64).collect();
    let uncovered: Vec<f64> = outcomes.iter().map(|o| o.uncovered as f64).collect();
    let (cl_var, cl_es) = value_at_risk_and_es(capital_loss, 0.995);
    let (p_var, p_es) = value_at_risk_and_es(payouts.clone(), 0.995);
    let width = cfg.checkpoints + 1;
    let fan_q = (0..width)
        .map(|k| {
            let col: Vec<f64> = fan
                .iter()
                .skip(k)
                .step_by(width)
                .map(|&c| c as f64)
                .collect();
            (
                cfg.horizon_secs * k as i64 / cfg.checkpoints.max(1) as i64,
                quantiles(col, FAN_LEVELS),
            )
        })
        .collect();
    SimSummary {
        paths: outcomes.len(),
        horizon_secs: cfg.horizon_secs,
        seed: cfg.seed,
        ruin_probability: p,
        ruin_std_error: (p * (1.0 - p) / n).sqrt(),
        capital_loss_var_995: cl_var,
        capital_loss_es_995: cl_es,
        payouts_var_995: p_var,
        payouts_es_995: p_es,
        mean_payouts: mean(&|o| o.payouts as f64),
        mean_uncovered: mean(&|o| o.uncovered as f64),
        mean_unmet_by_capital: mean(&|o| o.unmet_by_capital as f64),
        mean_premiums: mean(&|o| o.premiums as f64),
        mean_volume_income: mean(&|o| o.volume_income as f64),
        mean_losses: mean(&|o| o.losses as f64),
        payout_quantiles: quantiles(payouts, OUTCOME_LEVELS),
        uncovered_quantiles: quantiles(uncovered, OUTCOME_LEVELS),
        fan: fan_q,
    }
}
