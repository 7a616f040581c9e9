//! Backtest of the premium recommendation on held-out histories.
//!
//! For each of `histories` cases: a loss history is drawn from a **known** model (one
//! of [`true_models`]: Poisson or negative binomial frequency; lognormal or
//! lognormal-with-GPD-tail severity), `fit_years` long followed by a held-out year.
//! The engine sees the fitted part only: it fits the loss model
//! ([`fit_loss_model`]), then recommends the smallest base rate keeping the pool's
//! one-year ruin probability at or below the target ([`smallest_base_rate`]; with
//! `parameter_uncertainty`, each simulated path draws its parameters from the fit's
//! bootstrap replicates, as `--parameter-uncertainty` does). The recommendation is then
//! judged against the truth: the pool at the recommended base rate is simulated under
//! the **true** model ([`BacktestCase::true_ruin`]), and the held-out year itself is
//! replayed through the engine ([`BacktestCase::held_out_ruined`]).
//!
//! A case **passes** when the true ruin probability at the recommended rate is at most
//! `target + tolerance`. The tolerance covers the Monte Carlo error of the search (the
//! recommendation is the smallest rate whose *estimated* ruin meets the target on
//! `search_paths` paths) and of the judgement (`eval_paths` paths); the estimation
//! error of the fitted parameters is not in it: that is what the backtest measures.
//!
//! Everything is seeded: case `i` draws its history from `(seed, i)`, so a backtest is
//! reproducible.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;

use crate::dist::{Frequency, LogNormal, Severity};
use crate::fit::fit_loss_model;
use crate::history::{LossEvent, LossHistory, YEAR_SECS};
use crate::recommend::{smallest_base_rate, smallest_base_rate_with_confidence, with_base_rate};
use crate::sim::{replay, sample_losses, simulate, PoolModel, SimConfig};

/// One known loss model histories are drawn from.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct TrueModel {
    pub name: &'static str,
    pub frequency: Frequency,
    pub severity: Severity,
}

/// The four families of the backtest, on the scale of the sample pool
/// (`actuary/data/sample-pool.json`, a USDC pool: 6 decimals): 50 losses a year,
/// median loss 8 000 USDC; negative binomial with yearly size `r = 25` (a year's count
/// has variance 150 against the Poisson's 50); the GPD tail as the sample history's
/// (10 % of losses above 40 000 USDC, `xi = 0.3`).
pub fn true_models() -> Vec<TrueModel> {
    const USDC: f64 = 1e6;
    let lognormal = Severity::LogNormal(LogNormal {
        mu: (8_000.0 * USDC).ln(),
        sigma: 1.2,
    });
    let spliced = Severity::sample_history();
    let poisson = Frequency::Poisson { rate: 50.0 };
    let negbin = Frequency::NegativeBinomial {
        rate: 50.0,
        r: 25.0,
    };
    vec![
        TrueModel {
            name: "Poisson × lognormal",
            frequency: poisson,
            severity: lognormal,
        },
        TrueModel {
            name: "Poisson × lognormal + GPD tail",
            frequency: poisson,
            severity: spliced,
        },
        TrueModel {
            name: "negative binomial × lognormal",
            frequency: negbin,
            severity: lognormal,
        },
        TrueModel {
            name: "negative binomial × lognormal + GPD tail",
            frequency: negbin,
            severity: spliced,
        },
    ]
}

/// How to run a backtest.
#[derive(Clone, Debug, Serialize)]
pub struct BacktestConfig {
    /// Held-out histories (cases), cycling through [`true_models`].
    pub histories: usize,
    /// Years of each history the fit sees (a held-out year follows).
    pub fit_years: i64,
    /// Paths of each simulation in the recommendation's search.
    pub search_paths: usize,
    /// Paths of the judgement under the true model.
    pub eval_paths: usize,
    /// Bootstrap replicates of each fit.
    pub bootstrap: usize,
    /// Draw each simulated path's parameters from the bootstrap replicates (the
    /// mixture of `--parameter-uncertainty`); ignored with a `confidence`.
    pub parameter_uncertainty: bool,
    /// Recommend at this confidence instead: the smallest rate meeting the target under
    /// this share of the bootstrap replicates, each simulated on its own with
    /// `replicate_paths` paths ([`smallest_base_rate_with_confidence`]; the first
    /// `replicates` replicates).
    pub confidence: Option<f64>,
    pub replicates: usize,
    pub replicate_paths: usize,
    /// One-year ruin target.
    pub target: f64,
    /// Allowance above the target for Monte Carlo error (see the module doc).
    pub tolerance: f64,
    /// Share of cases that must pass.
    pub required_pass_rate: f64,
    pub seed: u64,
}

impl Default for BacktestConfig {
    /// The README's backtest: 50 histories of 4 years, 200 bootstrap replicates, the
    /// recommendation at 99 % confidence over 40 of them (2 000 paths each), the
    /// default 0.5 % target with a 0.1 point tolerance (two standard errors of the
    /// search's 20 000-path estimate at 0.5 %), 90 % of the cases to pass.
    fn default() -> Self {
        BacktestConfig {
            histories: 50,
            fit_years: 4,
            search_paths: 20_000,
            eval_paths: 200_000,
            bootstrap: 200,
            parameter_uncertainty: true,
            confidence: Some(0.99),
            replicates: 40,
            replicate_paths: 2_000,
            target: crate::recommend::DEFAULT_TARGET,
            tolerance: 0.001,
            required_pass_rate: 0.9,
            seed: 2026,
        }
    }
}

/// One held-out history and how the recommendation fitted on it fared.
#[derive(Clone, Debug, Serialize)]
pub struct BacktestCase {
    pub index: usize,
    pub model: &'static str,
    /// Losses in the fitted part and in the held-out year.
    pub fitted_losses: usize,
    pub held_out_losses: usize,
    /// The fitted frequency (events/year) and whether the fit chose the negative
    /// binomial.
    pub fitted_rate: f64,
    pub fitted_negative_binomial: bool,
    /// The recommended base rate (bps per coverage term); `None`: no rate up to the
    /// maximum meets the target under the fit.
    pub base_rate: Option<u64>,
    /// The true model's own smallest passing base rate (same search, true parameters).
    pub true_base_rate: Option<u64>,
    /// Ruin probability at the recommended rate, as the fit estimated it (the mixture or
    /// point estimate on `search_paths` paths).
    pub fitted_ruin: Option<f64>,
    /// Ruin probability at the recommended rate under the true model, and its standard
    /// error.
    pub true_ruin: Option<f64>,
    pub true_ruin_se: Option<f64>,
    /// Whether the held-out year, replayed at the recommended rate, ruined the pool.
    pub held_out_ruined: Option<bool>,
    pub passed: bool,
}

/// A backtest's cases and verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Backtest {
    pub config: BacktestConfig,
    pub cases: Vec<BacktestCase>,
    pub passed: usize,
    pub pass_rate: f64,
    /// Whether `pass_rate >= required_pass_rate`.
    pub ok: bool,
}

/// A seed for case `i`'s use `salt` (history, fit, search, judgement): SplitMix64 of
/// the three, so no two uses share a generator.
fn case_seed(seed: u64, i: usize, salt: u64) -> u64 {
    let mut z = seed
        ^ (i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03)
        ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The true model's smallest passing base rate for `pool`, on `search_paths` paths.
fn true_base_rate(
    pool: &PoolModel,
    m: &TrueModel,
    cfg: &BacktestConfig,
) -> Result<Option<u64>, String> {
    let sim = SimConfig {
        paths: cfg.search_paths,
        horizon_secs: YEAR_SECS,
        seed: cfg.seed,
        checkpoints: 0,
        scenarios: vec![(m.frequency, m.severity)],
        progress: false,
    };
    Ok(smallest_base_rate(pool, &sim, cfg.target, &mut 0)?.map(|(b, _)| b))
}

/// Runs case `i` on `pool` (the pool's parameters other than the base rate are kept).
pub fn run_case(
    pool: &PoolModel,
    m: &TrueModel,
    cfg: &BacktestConfig,
    i: usize,
    true_base_rate: Option<u64>,
) -> Result<BacktestCase, String> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(case_seed(cfg.seed, i, 0));
    let fit_secs = cfg.fit_years * YEAR_SECS;
    let mut losses = Vec::new();
    sample_losses(
        m.frequency,
        m.severity,
        fit_secs + YEAR_SECS,
        &mut rng,
        &mut losses,
    );
    let split = losses.partition_point(|&(t, _)| t < fit_secs);
    let events: Vec<LossEvent> = losses[..split]
        .iter()
        .map(|&(time, amount)| LossEvent { time, amount })
        .collect();
    let held_out: Vec<(i64, u64)> = losses[split..]
        .iter()
        .map(|&(t, a)| (t - fit_secs, a))
        .collect();
    let history = LossHistory::new(events, Some((0, fit_secs)))?;
    let fit = fit_loss_model(&history, None, cfg.bootstrap, case_seed(cfg.seed, i, 1))?;
    let scenarios = fit.scenarios(cfg.parameter_uncertainty);
    let search = SimConfig {
        paths: cfg.search_paths,
        horizon_secs: YEAR_SECS,
        seed: case_seed(cfg.seed, i, 2),
        checkpoints: 0,
        scenarios,
        progress: false,
    };
    let found = match cfg.confidence {
        Some(q) if !fit.replicates.is_empty() => {
            let at_confidence = SimConfig {
                paths: cfg.replicate_paths,
                scenarios: fit
                    .replicates
                    .iter()
                    .take(cfg.replicates.max(1))
                    .copied()
                    .collect(),
                ..search.clone()
            };
            // The fit's own estimate at the rate found, for the table.
            match smallest_base_rate_with_confidence(pool, &at_confidence, cfg.target, q, &mut 0)? {
                Some((b, _)) => Some((
                    b,
                    simulate(&with_base_rate(pool, b), &search)?.ruin_probability,
                )),
                None => None,
            }
        }
        _ => smallest_base_rate(pool, &search, cfg.target, &mut 0)?,
    };
    let mut case = BacktestCase {
        index: i,
        model: m.name,
        fitted_losses: split,
        held_out_losses: held_out.len(),
        fitted_rate: fit.frequency.rate(),
        fitted_negative_binomial: matches!(fit.frequency, Frequency::NegativeBinomial { .. }),
        base_rate: found.map(|(b, _)| b),
        true_base_rate,
        fitted_ruin: found.map(|(_, r)| r),
        true_ruin: None,
        true_ruin_se: None,
        held_out_ruined: None,
        passed: false,
    };
    if let Some((base, _)) = found {
        let at = with_base_rate(pool, base);
        let judge = SimConfig {
            paths: cfg.eval_paths,
            // Independent of the search's paths.
            seed: case_seed(cfg.seed, i, 3),
            scenarios: vec![(m.frequency, m.severity)],
            ..search.clone()
        };
        let s = simulate(&at, &judge)?;
        case.true_ruin = Some(s.ruin_probability);
        case.true_ruin_se = Some(s.ruin_std_error);
        case.held_out_ruined = Some(replay(&at, YEAR_SECS, &held_out)?.ruin_time.is_some());
        case.passed = s.ruin_probability <= cfg.target + cfg.tolerance;
    }
    Ok(case)
}

/// Runs the whole backtest on `pool`.
pub fn run(pool: &PoolModel, cfg: &BacktestConfig) -> Result<Backtest, String> {
    let models = true_models();
    let truth: Vec<Option<u64>> = models
        .iter()
        .map(|m| true_base_rate(pool, m, cfg))
        .collect::<Result<_, _>>()?;
    let cases: Vec<BacktestCase> = (0..cfg.histories)
        .map(|i| {
            let k = i % models.len();
            run_case(pool, &models[k], cfg, i, truth[k])
        })
        .collect::<Result<_, _>>()?;
    let passed = cases.iter().filter(|c| c.passed).count();
    let pass_rate = passed as f64 / cases.len().max(1) as f64;
    Ok(Backtest {
        config: cfg.clone(),
        ok: pass_rate >= cfg.required_pass_rate,
        cases,
        passed,
        pass_rate,
    })
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{:.3} %", x * 100.0))
}

fn rate(x: Option<u64>) -> String {
    x.map_or("-".into(), |x| x.to_string())
}

/// The backtest as Markdown: one row per case, a summary per model, the verdict.
pub fn markdown(b: &Backtest) -> String {
    let c = &b.config;
    let mut out = format!(
        "Backtest: {} held-out histories ({} years fitted, 1 held out), target {:.2} % + tolerance {:.2} points, {} bootstrap replicates, recommendation {}, {} search / {} judging paths, seed {}\n\n",
        b.cases.len(),
        c.fit_years,
        c.target * 100.0,
        c.tolerance * 100.0,
        c.bootstrap,
        match c.confidence {
            Some(q) => format!(
                "at {:.0} % confidence over {} replicates ({} paths each)",
                q * 100.0,
                c.replicates,
                c.replicate_paths
            ),
            None if c.parameter_uncertainty => "on the replicates' mixture".into(),
            None => "on the point estimate".into(),
        },
        c.search_paths,
        c.eval_paths,
        c.seed
    );
    out += "| # | true model | losses fitted | fitted rate /yr | recommended base rate | true model's own | ruin (fit's estimate) | ruin (true model) | held-out year ruined | pass |\n";
    out += "|---|---|---|---|---|---|---|---|---|---|\n";
    for k in &b.cases {
        out += &format!(
            "| {} | {} | {} | {:.1}{} | {} | {} | {} | {} ± {} | {} | {} |\n",
            k.index,
            k.model,
            k.fitted_losses,
            k.fitted_rate,
            if k.fitted_negative_binomial {
                " (NB)"
            } else {
                ""
            },
            rate(k.base_rate),
            rate(k.true_base_rate),
            pct(k.fitted_ruin),
            pct(k.true_ruin),
            pct(k.true_ruin_se),
            k.held_out_ruined
                .map_or("-", |r| if r { "yes" } else { "no" }),
            if k.passed { "yes" } else { "**no**" },
        );
    }
    out += "\n| true model | cases | passed | median realised ruin | worst realised ruin | held-out years ruined |\n|---|---|---|---|---|---|\n";
    for m in true_models() {
        let cases: Vec<&BacktestCase> = b.cases.iter().filter(|k| k.model == m.name).collect();
        if cases.is_empty() {
            continue;
        }
        let mut ruins: Vec<f64> = cases.iter().filter_map(|k| k.true_ruin).collect();
        ruins.sort_by(f64::total_cmp);
        let median = ruins.get(ruins.len() / 2).copied();
        out += &format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            m.name,
            cases.len(),
            cases.iter().filter(|k| k.passed).count(),
            pct(median),
            pct(ruins.last().copied()),
            cases
                .iter()
                .filter(|k| k.held_out_ruined == Some(true))
                .count()
        );
    }
    out += &format!(
        "\n{} of {} passed ({:.0} %; required {:.0} %): {}\n",
        b.passed,
        b.cases.len(),
        b.pass_rate * 100.0,
        c.required_pass_rate * 100.0,
        if b.ok { "PASS" } else { "FAIL" }
    );
    out
}
