//! Maximum-likelihood fits of the loss model, goodness of fit, and parameter
//! uncertainty by parametric bootstrap.

use rand::SeedableRng;
use rand_distr::{Distribution, Gamma, Poisson};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::Serialize;

use crate::dist::{ln_gamma, norm_cdf, Frequency, Gpd, LogNormal, Severity};
use crate::history::{LossHistory, YEAR_SECS};

/// Minimises `f` from `start` by Nelder–Mead (standard coefficients), stopping when
/// the simplex's values agree within `tol` or after `max_iter` iterations.
pub fn nelder_mead<const N: usize>(
    f: impl Fn(&[f64; N]) -> f64,
    start: [f64; N],
    step: f64,
    tol: f64,
    max_iter: usize,
) -> [f64; N] {
    let mut simplex: Vec<([f64; N], f64)> = Vec::with_capacity(N + 1);
    simplex.push((start, f(&start)));
    for i in 0..N {
        let mut p = start;
        p[i] += if p[i].abs() > 1e-12 {
            step * p[i].abs().max(1.0)
        } else {
            step
        };
        simplex.push((p, f(&p)));
    }
    let value = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
    for _ in 0..max_iter {
        simplex.sort_by(|a, b| value(a.1).total_cmp(&value(b.1)));
        if (value(simplex[N].1) - value(simplex[0].1)).abs()
            <= tol * (1.0 + value(simplex[0].1).abs())
        {
            break;
        }
        let mut centroid = [0.0; N];
        for (p, _) in &simplex[..N] {
            for i in 0..N {
                centroid[i] += p[i] / N as f64;
            }
        }
        let along = |t: f64| {
            let mut p = [0.0; N];
            for i in 0..N {
                p[i] = centroid[i] + t * (simplex[N].0[i] - centroid[i]);
            }
            p
        };
        let r = along(-1.0);
        let fr = value(f(&r));
        if fr < value(simplex[0].1) {
            let e = along(-2.0);
            let fe = value(f(&e));
            simplex[N] = if fe < fr { (e, fe) } else { (r, fr) };
        } else if fr < value(simplex[N - 1].1) {
            simplex[N] = (r, fr);
        } else {
            let c = along(0.5);
            let fc = value(f(&c));
            if fc < value(simplex[N].1) {
                simplex[N] = (c, fc);
            } else {
                let best = simplex[0].0;
                for (p, v) in simplex.iter_mut().skip(1) {
                    for i in 0..N {
                        p[i] = best[i] + 0.5 * (p[i] - best[i]);
                    }
                    *v = f(p);
                }
            }
        }
    }
    simplex.sort_by(|a, b| value(a.1).total_cmp(&value(b.1)));
    simplex[0].0
}

/// Poisson rate (events per year) by maximum likelihood: `n / T`, with its standard
/// error `sqrt(n) / T`.
pub fn fit_poisson(events: usize, years: f64) -> (f64, f64) {
    (events as f64 / years, (events as f64).sqrt() / years)
}

/// Negative binomial fit of per-period counts (maximum likelihood: the mean is the
/// sample mean; the size `r` maximises the profile likelihood). Returns `None` when the
/// counts are not over-dispersed (variance <= mean: Poisson is the MLE boundary).
pub fn fit_negative_binomial(counts: &[u64]) -> Option<NegBinFit> {
    let k = counts.len() as f64;
    if counts.len() < 2 {
        return None;
    }
    let mean = counts.iter().sum::<u64>() as f64 / k;
    let var = counts
        .iter()
        .map(|&c| (c as f64 - mean).powi(2))
        .sum::<f64>()
        / (k - 1.0);
    if mean <= 0.0 || var <= mean {
        return None;
    }
    let loglik = |r: f64| -> f64 {
        counts
            .iter()
            .map(|&x| {
                let x = x as f64;
                ln_gamma(x + r) - ln_gamma(r) - ln_gamma(x + 1.0)
                    + r * (r / (r + mean)).ln()
                    + x * (mean / (r + mean)).ln()
            })
            .sum()
    };
    // Golden-section search on ln r (the profile likelihood is unimodal in practice).
    let (mut a, mut b) = ((1e-3f64).ln(), (1e7f64).ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..200 {
        let c = b - g * (b - a);
        let d = a + g * (b - a);
        if loglik(c.exp()) > loglik(d.exp()) {
            b = d;
        } else {
            a = c;
        }
    }
    let r = ((a + b) / 2.0).exp();
    let poisson: f64 = counts
        .iter()
        .map(|&x| x as f64 * mean.ln() - mean - ln_gamma(x as f64 + 1.0))
        .sum();
    let lr = (2.0 * (loglik(r) - poisson)).max(0.0);
    Some(NegBinFit {
        mean_per_period: mean,
        variance_per_period: var,
        r,
        likelihood_ratio: lr,
        // Boundary test: LR ~ ½χ²(0) + ½χ²(1) under Poisson.
        p_value_vs_poisson: 0.5 * libm::erfc((lr / 2.0).sqrt()),
    })
}

/// A negative binomial fit of per-period counts.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct NegBinFit {
    pub mean_per_period: f64,
    pub variance_per_period: f64,
    /// Size parameter (smaller = more over-dispersed).
    pub r: f64,
    /// `2·(ln L_negbin − ln L_poisson)`.
    pub likelihood_ratio: f64,
    /// p-value of "the counts are Poisson" against the negative binomial.
    pub p_value_vs_poisson: f64,
}

/// Lognormal MLE: mean and (biased, MLE) standard deviation of `ln x`.
pub fn fit_lognormal(xs: &[f64]) -> LogNormal {
    let n = xs.len() as f64;
    let mu = xs.iter().map(|x| x.ln()).sum::<f64>() / n;
    let var = xs.iter().map(|x| (x.ln() - mu).powi(2)).sum::<f64>() / n;
    LogNormal {
        mu,
        sigma: var.sqrt().max(1e-9),
    }
}

/// Lognormal MLE for data right-truncated at `threshold` (the body of a splice).
pub fn fit_truncated_lognormal(xs: &[f64], threshold: f64) -> LogNormal {
    let start = fit_lognormal(xs);
    let lt = threshold.ln();
    let nll = |p: &[f64; 2]| {
        let ln = LogNormal {
            mu: p[0],
            sigma: p[1].exp(),
        };
        let mass = norm_cdf((lt - ln.mu) / ln.sigma);
        if mass <= 1e-300 {
            return f64::INFINITY;
        }
        -(xs.iter().map(|&x| ln.ln_pdf(x)).sum::<f64>() - xs.len() as f64 * mass.ln())
    };
    let p = nelder_mead(nll, [start.mu, start.sigma.ln()], 0.1, 1e-12, 2_000);
    LogNormal {
        mu: p[0],
        sigma: p[1].exp(),
    }
}

/// GPD MLE of excesses `ys >= 0`, with the shape restricted to `[0, 2)`. Decided: a
/// loss tail is never fitted as bounded (`xi < 0` puts a finite maximum loss just
/// above the largest losses seen, and the held-out backtest showed such fits
/// recommending far too little premium after a light sample); `xi = 0` is the
/// exponential tail. Heavier tails than `xi = 2` are beyond any sane premium.
pub fn fit_gpd(ys: &[f64]) -> Gpd {
    let n = ys.len() as f64;
    let mean = ys.iter().sum::<f64>() / n;
    let var = ys.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    // Method-of-moments start.
    let r = mean * mean / var.max(1e-300);
    let xi0 = (0.5 * (1.0 - r)).clamp(0.05, 0.9);
    let s0 = (0.5 * mean * (1.0 + r)).max(1e-9);
    let nll = |p: &[f64; 2]| {
        if !(0.0..2.0).contains(&p[0]) {
            return f64::INFINITY;
        }
        let g = Gpd {
            xi: p[0],
            sigma: p[1].exp(),
        };
        -ys.iter().map(|&y| g.ln_pdf(y)).sum::<f64>()
    };
    let p = nelder_mead(nll, [xi0, s0.ln()], 0.2, 1e-12, 2_000);
    Gpd {
        xi: p[0],
        sigma: p[1].exp(),
    }
}

/// How the severity was modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeverityModel {
    /// Lognormal on the whole range.
    LogNormal,
    /// Lognormal body, GPD above the threshold.
    Spliced,
}

/// Fits the severity: a lognormal body (truncated MLE) below `threshold` and a GPD
/// tail above it (peaks over threshold), or a plain lognormal when fewer than
/// `MIN_EXCESSES` losses exceed the threshold.
pub fn fit_severity(amounts: &[f64], threshold: Option<f64>) -> Severity {
    let threshold =
        threshold.unwrap_or_else(|| empirical_quantile(amounts, DEFAULT_THRESHOLD_QUANTILE));
    let (body, tail): (Vec<f64>, Vec<f64>) = amounts.iter().partition(|&&x| x <= threshold);
    if tail.len() < MIN_EXCESSES || body.len() < MIN_EXCESSES {
        return Severity::LogNormal(fit_lognormal(amounts));
    }
    let excesses: Vec<f64> = tail.iter().map(|x| x - threshold).collect();
    Severity::Spliced {
        body: fit_truncated_lognormal(&body, threshold),
        threshold,
        tail_prob: tail.len() as f64 / amounts.len() as f64,
        tail: fit_gpd(&excesses),
    }
}

/// Default POT threshold: this empirical quantile of the losses.
pub const DEFAULT_THRESHOLD_QUANTILE: f64 = 0.9;
/// Fewest excesses (and body points) for a splice; below, a plain lognormal is fitted.
pub const MIN_EXCESSES: usize = 10;

/// Empirical quantile (type 7, linear interpolation). `xs` need not be sorted.
pub fn empirical_quantile(xs: &[f64], q: f64) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    sorted_quantile(&s, q)
}

/// Empirical quantile of sorted data (type 7).
pub fn sorted_quantile(s: &[f64], q: f64) -> f64 {
    if s.is_empty() {
        return f64::NAN;
    }
    let h = (s.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

/// Kolmogorov–Smirnov and Anderson–Darling statistics of `xs` against `cdf`.
pub fn gof_statistics(xs: &[f64], cdf: impl Fn(f64) -> f64) -> (f64, f64) {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len() as f64;
    let f: Vec<f64> = s
        .iter()
        .map(|&x| cdf(x).clamp(1e-15, 1.0 - 1e-15))
        .collect();
    let mut ks = 0.0f64;
    for (i, &fi) in f.iter().enumerate() {
        ks = ks.max((i as f64 + 1.0) / n - fi).max(fi - i as f64 / n);
    }
    let m = f.len();
    let ad_sum: f64 = (0..m)
        .map(|i| (2.0 * i as f64 + 1.0) * (f[i].ln() + (1.0 - f[m - 1 - i]).ln()))
        .sum();
    (ks, -n - ad_sum / n)
}

/// A fitted loss model with its diagnostics.
#[derive(Clone, Debug, Serialize)]
pub struct LossModelFit {
    pub events: usize,
    pub years: f64,
    /// Poisson rate (events/year) and its standard error.
    pub poisson_rate: f64,
    pub poisson_rate_se: f64,
    /// Negative binomial on 30-day counts, when over-dispersed.
    pub negative_binomial: Option<NegBinFit>,
    /// The frequency used for simulation (negative binomial when its likelihood-ratio
    /// test rejects Poisson at 5 %, else Poisson).
    pub frequency: Frequency,
    pub severity_model: SeverityModel,
    pub severity: Severity,
    pub ks: f64,
    pub ad: f64,
    /// Parametric-bootstrap p-values of KS and AD (the fit is redone on every
    /// replicate, so the estimation is accounted for).
    pub ks_p_value: f64,
    pub ad_p_value: f64,
    /// Bootstrap replicates of the frequency and severity (parameter uncertainty).
    #[serde(skip)]
    pub replicates: Vec<(Frequency, Severity)>,
    /// Bootstrap summaries: (name, estimate, 2.5 %, 97.5 %).
    pub intervals: Vec<(String, f64, f64, f64)>,
}

impl LossModelFit {
    /// The loss scenarios a simulation draws its paths from: the bootstrap replicates
    /// with `parameter_uncertainty` (when there are any), else the point estimate.
    pub fn scenarios(&self, parameter_uncertainty: bool) -> Vec<(Frequency, Severity)> {
        if parameter_uncertainty && !self.replicates.is_empty() {
            self.replicates.clone()
        } else {
            vec![(self.frequency, self.severity)]
        }
    }
}

/// Days per count period of the negative binomial fit.
pub const COUNT_PERIOD_DAYS: i64 = 30;

/// Fits frequency and severity to `history`, with `bootstrap` parametric-bootstrap
/// replicates (seeded) for GOF p-values and parameter intervals.
pub fn fit_loss_model(
    history: &LossHistory,
    threshold: Option<f64>,
    bootstrap: usize,
    seed: u64,
) -> Result<LossModelFit, String> {
    let amounts: Vec<f64> = history.events.iter().map(|e| e.amount as f64).collect();
    if amounts.len() < 2 * MIN_EXCESSES {
        return Err(format!(
            "{} losses: at least {} are needed to fit a severity",
            amounts.len(),
            2 * MIN_EXCESSES
        ));
    }
    let years = history.span_secs() as f64 / YEAR_SECS as f64;
    let (rate, rate_se) = fit_poisson(amounts.len(), years);
    let counts = history.period_counts(COUNT_PERIOD_DAYS * 86_400);
    let negative_binomial = fit_negative_binomial(&counts);
    let periods_per_year = YEAR_SECS as f64 / (COUNT_PERIOD_DAYS * 86_400) as f64;
    let frequency = match negative_binomial {
        // r per period → r per year: a year's count is the sum of ~12 independent
        // period counts, NB(r·k) with the same p.
        Some(nb) if nb.p_value_vs_poisson < 0.05 => Frequency::NegativeBinomial {
            rate,
            r: nb.r * periods_per_year,
        },
        _ => Frequency::Poisson { rate },
    };
    let severity = fit_severity(&amounts, threshold);
    let severity_model = match severity {
        Severity::Spliced { .. } => SeverityModel::Spliced,
        _ => SeverityModel::LogNormal,
    };
    let (ks, ad) = gof_statistics(&amounts, |x| severity.cdf(x));

    // Parametric bootstrap: simulate a history of the same length from the fit, refit
    // both parts, recompute the statistics. Replicate `b` has its own generator seeded
    // from `(seed, b)`, so the replicates run in parallel and still depend on the seed
    // only.
    let fixed_threshold = match severity {
        Severity::Spliced { threshold, .. } => Some(threshold),
        _ => None,
    };
    let one = |b: usize| {
        // Salted: the simulation's path generators use `seed ^ i · φ` too.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(
            seed ^ 0xB007_57A9_5EED_0001 ^ (b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        // The count of a replicate history: Poisson, or under the negative binomial the
        // over-dispersed NB total of `years` years (size `r · years`, a Gamma-Poisson
        // draw), so the rate's uncertainty is the fitted model's.
        let mean = match frequency {
            Frequency::NegativeBinomial { r, .. } if r * years > 0.0 => {
                match Gamma::new(r * years, amounts.len() as f64 / (r * years)) {
                    Ok(g) => g.sample(&mut rng),
                    Err(_) => amounts.len() as f64,
                }
            }
            _ => amounts.len() as f64,
        };
        let n = match Poisson::new(mean.max(f64::MIN_POSITIVE)) {
            Ok(p) => (p.sample(&mut rng) as usize).max(2 * MIN_EXCESSES),
            Err(_) => amounts.len(),
        };
        let sample: Vec<f64> = (0..n).map(|_| severity.sample(&mut rng)).collect();
        let refit = match severity_model {
            SeverityModel::Spliced => fit_severity(&sample, fixed_threshold),
            SeverityModel::LogNormal => Severity::LogNormal(fit_lognormal(&sample)),
        };
        let (k, a) = gof_statistics(&sample, |x| refit.cdf(x));
        let f = match frequency {
            Frequency::Poisson { .. } => Frequency::Poisson {
                rate: n as f64 / years,
            },
            Frequency::NegativeBinomial { r, .. } => Frequency::NegativeBinomial {
                rate: n as f64 / years,
                r,
            },
        };
        ((f, refit), k >= ks, a >= ad)
    };
    let runs: Vec<_> = (0..bootstrap).into_par_iter().map(one).collect();
    let ks_exceed = runs.iter().filter(|r| r.1).count();
    let ad_exceed = runs.iter().filter(|r| r.2).count();
    let replicates: Vec<(Frequency, Severity)> = runs.into_iter().map(|r| r.0).collect();
    let p = |c: usize| (c as f64 + 1.0) / (bootstrap as f64 + 1.0);
    let intervals = bootstrap_intervals(frequency, severity, &replicates);
    Ok(LossModelFit {
        events: amounts.len(),
        years,
        poisson_rate: rate,
        poisson_rate_se: rate_se,
        negative_binomial,
        frequency,
        severity_model,
        severity,
        ks,
        ad,
        ks_p_value: p(ks_exceed),
        ad_p_value: p(ad_exceed),
        replicates,
        intervals,
    })
}

/// Named parameters of a frequency/severity pair.
fn parameters(f: Frequency, s: Severity) -> Vec<(&'static str, f64)> {
    let mut v = vec![("rate (events/year)", f.rate())];
    if let Frequency::NegativeBinomial { r, .. } = f {
        v.push(("negative binomial r (per year)", r));
    }
    match s {
        Severity::Exponential { mean } => v.push(("mean", mean)),
        Severity::LogNormal(ln) => {
            v.extend([("lognormal mu", ln.mu), ("lognormal sigma", ln.sigma)])
        }
        Severity::Spliced {
            body,
            tail_prob,
            tail,
            ..
        } => v.extend([
            ("body mu", body.mu),
            ("body sigma", body.sigma),
            ("tail probability", tail_prob),
            ("GPD xi", tail.xi),
            ("GPD sigma", tail.sigma),
        ]),
    }
    v.push(("mean severity", s.mean()));
    v
}

fn bootstrap_intervals(
    f: Frequency,
    s: Severity,
    replicates: &[(Frequency, Severity)],
) -> Vec<(String, f64, f64, f64)> {
    let point = parameters(f, s);
    point
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let xs: Vec<f64> = replicates
                .iter()
                .filter_map(|&(rf, rs)| parameters(rf, rs).get(i).map(|p| p.1))
                .filter(|x| x.is_finite())
                .collect();
            let mut s = xs.clone();
            s.sort_by(f64::total_cmp);
            (
                name.to_string(),
                *value,
                sorted_quantile(&s, 0.025),
                sorted_quantile(&s, 0.975),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::LossEvent;

    #[test]
    fn lognormal_fit_recovers_known_parameters() {
        let truth = LogNormal {
            mu: 10.0,
            sigma: 1.3,
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let xs: Vec<f64> = (0..20_000).map(|_| truth.sample(&mut rng)).collect();
        let fit = fit_lognormal(&xs);
        // Standard errors: sigma/sqrt(n) = 0.0092, sigma/sqrt(2n) = 0.0065; allow 4 se.
        assert!((fit.mu - truth.mu).abs() < 0.037, "{fit:?}");
        assert!((fit.sigma - truth.sigma).abs() < 0.026, "{fit:?}");
    }

    #[test]
    fn truncated_lognormal_and_gpd_fits_recover_the_splice() {
        let truth = Severity::Spliced {
            body: LogNormal {
                mu: 9.5,
                sigma: 1.0,
            },
            threshold: 60_000.0,
            tail_prob: 0.1,
            tail: Gpd {
                xi: 0.3,
                sigma: 30_000.0,
            },
        };
        // Four samples of 40 000, their estimates averaged: one sample's `xi` has a
        // standard error of ~0.02 (its tail holds ~4 000 points), so a single seed's
        // estimate strays past a few-percent bound now and then; the average's bounds
        // are ~4 standard errors.
        let k = 4;
        let (mut mu, mut sigma, mut p, mut xi, mut scale) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for seed in 0..k {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(11 + seed);
            let xs: Vec<f64> = (0..40_000).map(|_| truth.sample(&mut rng)).collect();
            let Severity::Spliced {
                body,
                tail_prob,
                tail,
                ..
            } = fit_severity(&xs, Some(60_000.0))
            else {
                panic!("expected a splice");
            };
            let kf = k as f64;
            mu += body.mu / kf;
            sigma += body.sigma / kf;
            p += tail_prob / kf;
            xi += tail.xi / kf;
            scale += tail.sigma / kf;
        }
        assert!((mu - 9.5).abs() < 0.02, "mu {mu}");
        assert!((sigma - 1.0).abs() < 0.02, "sigma {sigma}");
        assert!((p - 0.1).abs() < 0.004, "tail share {p}");
        assert!((xi - 0.3).abs() < 0.04, "xi {xi}");
        assert!((scale / 30_000.0 - 1.0).abs() < 0.05, "tail scale {scale}");
    }

    #[test]
    fn poisson_fit_recovers_the_rate() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let years = 200.0;
        let n = Poisson::new(25.0 * years).unwrap().sample(&mut rng) as usize;
        let (rate, se) = fit_poisson(n, years);
        assert!((rate - 25.0).abs() < 4.0 * se, "{rate} ± {se}");
        assert!((se - (25.0f64 / years).sqrt()).abs() < 0.05);
    }

    #[test]
    fn negative_binomial_detects_over_dispersion_and_not_poisson() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        // Poisson-gamma mixture with r = 2, mean 4 per period.
        let gamma = rand_distr::Gamma::new(2.0, 2.0).unwrap();
        let nb: Vec<u64> = (0..3_000)
            .map(|_| {
                Poisson::new(gamma.sample(&mut rng))
                    .unwrap()
                    .sample(&mut rng) as u64
            })
            .collect();
        let fit = fit_negative_binomial(&nb).expect("over-dispersed");
        assert!((fit.r - 2.0).abs() < 0.3, "{fit:?}");
        assert!(fit.p_value_vs_poisson < 1e-6);
        let pois: Vec<u64> = (0..3_000)
            .map(|_| Poisson::new(4.0).unwrap().sample(&mut rng) as u64)
            .collect();
        match fit_negative_binomial(&pois) {
            None => {}
            Some(f) => assert!(f.p_value_vs_poisson > 0.01, "{f:?}"),
        }
    }

    #[test]
    fn goodness_of_fit_separates_a_good_fit_from_a_wrong_one() {
        let truth = LogNormal {
            mu: 8.0,
            sigma: 0.8,
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let xs: Vec<f64> = (0..2_000).map(|_| truth.sample(&mut rng)).collect();
        let (ks, ad) = gof_statistics(&xs, |x| truth.cdf(x));
        assert!(ks < 1.36 / (2_000f64).sqrt() && ad < 2.5, "{ks} {ad}");
        let wrong = Severity::Exponential { mean: truth.mean() };
        let (ks_w, ad_w) = gof_statistics(&xs, |x| wrong.cdf(x));
        assert!(ks_w > 0.1 && ad_w > 20.0, "{ks_w} {ad_w}");
    }

    #[test]
    fn fit_loss_model_reports_bootstrap_p_values_and_intervals() {
        let truth = LogNormal {
            mu: 9.0,
            sigma: 1.1,
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
        let events: Vec<LossEvent> = (0..300)
            .map(|i| LossEvent {
                time: i * 86_400,
                amount: truth.sample(&mut rng) as u64,
            })
            .collect();
        let h = LossHistory::new(events, None).unwrap();
        let fit = fit_loss_model(&h, None, 100, 1).unwrap();
        assert_eq!(fit.replicates.len(), 100);
        assert!(fit.ks_p_value > 0.01 && fit.ad_p_value > 0.01, "{fit:?}");
        let mu = fit
            .intervals
            .iter()
            .find(|i| i.0 == "body mu" || i.0 == "lognormal mu")
            .unwrap();
        assert!(mu.2 < mu.1 && mu.1 < mu.3, "{mu:?}");
    }
}
