//! The Monte Carlo engine against closed forms and against the program's rules.

use actuary::dist::{Frequency, LogNormal, Severity};
use actuary::recommend::recommend;
use actuary::sim::{
    path_rng, replay, sample_losses, simulate, simulate_outcomes, PathOutcome, PoolModel, SimConfig,
};
use actuary::YEAR_SECS;
use insurance_pool::math::premium::Curve;
use insurance_pool::math::volume::VolumeCurve;

const TOKEN: u64 = 1_000_000;

fn flat(rate: u64) -> Curve {
    Curve {
        base_rate: rate,
        slope1: 0,
        kink: 8_000,
        slope2: 0,
        min_rate: rate,
        max_rate: rate,
    }
}

/// A pool with unlimited caps, no floor and a constant premium rate: the classical
/// Cramér–Lundberg surplus process.
fn classical(capital: u64, exposure: u64) -> PoolModel {
    PoolModel {
        capital,
        exposure,
        curve: flat(100),
        coverage_duration: 30 * 86_400,
        max_exposure_bps: u64::MAX,
        protocol_fee_bps: 0,
        min_reserve: 0,
        reserved_for_claims: 0,
        per_event_cap: u64::MAX,
        per_epoch_cap: u64::MAX,
        epoch_length: 86_400,
        volume_per_day: 0,
        volume: actuary::sim::no_volume_curve(),
        loss_index: 0,
    }
}

fn config(paths: usize, years: i64, seed: u64, f: Frequency, s: Severity) -> SimConfig {
    SimConfig {
        paths,
        horizon_secs: years * YEAR_SECS,
        seed,
        checkpoints: 0,
        scenarios: vec![(f, s)],
        progress: false,
    }
}

#[test]
fn cramer_lundberg_ruin_probability_is_reproduced_within_one_percent() {
    // Exponential claims of mean mu at rate lambda; premium c = (1 + theta)·lambda·mu.
    let (lambda, mu, theta) = (100.0, TOKEN as f64, 0.25);
    let u = 5 * TOKEN;
    // Exposure so that a 100 bps / 30-day rate earns c per year.
    let c = (1.0 + theta) * lambda * mu;
    let exposure = (c * 10_000.0 / 100.0 * 30.0 / 365.0).round() as u64;
    let model = classical(u, exposure);
    // The premium actually earned (integer rounding included) fixes the real theta.
    let earned = model.net_premium(exposure, 100, YEAR_SECS) as f64;
    let theta = earned / (lambda * mu) - 1.0;
    let psi = (-theta * u as f64 / ((1.0 + theta) * mu)).exp() / (1.0 + theta);
    // Five years (~500 claims): surplus drifts to ~130 mu, where psi is ~e^-26.
    let cfg = config(
        400_000,
        5,
        2024,
        Frequency::Poisson { rate: lambda },
        Severity::Exponential { mean: mu },
    );
    let s = simulate(&model, &cfg).unwrap();
    let rel = (s.ruin_probability - psi).abs() / psi;
    println!(
        "psi closed form {psi:.5}, simulated {:.5} ± {:.5} (rel. error {:.3} %)",
        s.ruin_probability,
        s.ruin_std_error,
        rel * 100.0
    );
    assert!(
        rel < 0.01,
        "simulated {} vs closed form {psi}",
        s.ruin_probability
    );
    // Premium income matches c over the horizon for survivors (sanity of accrual).
    assert!(
        (s.mean_losses / 5.0 - lambda).abs() < 0.5,
        "{}",
        s.mean_losses
    );
}

#[test]
fn caps_split_each_loss_into_payout_and_uncovered_exactly() {
    let sev = Severity::LogNormal(LogNormal {
        mu: (20_000.0 * TOKEN as f64).ln(),
        sigma: 1.0,
    });
    let freq = Frequency::Poisson { rate: 30.0 };
    let mut m = classical(u64::MAX / 4, 10 * TOKEN);
    let cfg = config(4_000, 1, 7, freq, sev);
    let (free, _) = simulate_outcomes(&m, &cfg).unwrap();
    m.per_event_cap = 25_000 * TOKEN;
    let (capped, _) = simulate_outcomes(&m, &cfg).unwrap();
    m.per_epoch_cap = 60_000 * TOKEN;
    m.epoch_length = 7 * 86_400;
    let (epoch, _) = simulate_outcomes(&m, &cfg).unwrap();
    m.epoch_length = YEAR_SECS;
    let (yearly, _) = simulate_outcomes(&m, &cfg).unwrap();
    let mut some_capped = false;
    for i in 0..free.len() {
        // Same seed, same losses: the caps only move value from payout to uncovered.
        let total = free[i].payouts + free[i].uncovered;
        assert_eq!(free[i].uncovered, 0);
        for o in [&capped[i], &epoch[i], &yearly[i]] {
            assert_eq!(o.payouts + o.uncovered, total);
            assert_eq!(o.losses, free[i].losses);
            assert!(o.ruin_time.is_none() && o.unmet_by_capital == 0);
        }
        assert!(capped[i].payouts <= free[i].payouts && epoch[i].payouts <= capped[i].payouts);
        assert!(capped[i].payouts <= capped[i].losses as u64 * 25_000 * TOKEN);
        // One epoch per year: the year's payouts never exceed the epoch cap.
        assert!(yearly[i].payouts <= 60_000 * TOKEN);
        some_capped |= capped[i].uncovered > 0 && epoch[i].uncovered > capped[i].uncovered;
    }
    assert!(
        some_capped,
        "the caps never bound: the test would prove nothing"
    );
}

#[test]
fn the_solvency_floor_is_never_breached_and_shortfalls_count_as_ruin() {
    let sev = Severity::Exponential {
        mean: 50_000.0 * TOKEN as f64,
    };
    let mut m = classical(200_000 * TOKEN, 0);
    m.min_reserve = 80_000 * TOKEN;
    let cfg = SimConfig {
        checkpoints: 12,
        ..config(2_000, 1, 3, Frequency::Poisson { rate: 12.0 }, sev)
    };
    let (outs, fan) = simulate_outcomes(&m, &cfg).unwrap();
    assert!(fan.iter().all(|&c| c >= m.min_reserve));
    assert!(outs.iter().all(|o| o.final_capital >= m.min_reserve));
    let ruined: Vec<_> = outs.iter().filter(|o| o.ruin_time.is_some()).collect();
    assert!(!ruined.is_empty() && ruined.iter().all(|o| o.unmet_by_capital > 0));
    assert!(outs
        .iter()
        .filter(|o| o.ruin_time.is_none())
        .all(|o| o.unmet_by_capital == 0));
}

#[test]
fn runs_are_reproducible_for_a_seed_on_any_thread_count() {
    let sev = Severity::LogNormal(LogNormal {
        mu: 22.0,
        sigma: 1.5,
    });
    let freq = Frequency::NegativeBinomial { rate: 20.0, r: 3.0 };
    let mut m = classical(2_000_000 * TOKEN, 5_000_000 * TOKEN);
    m.per_event_cap = 500_000 * TOKEN;
    m.per_epoch_cap = 800_000 * TOKEN;
    let cfg = SimConfig {
        checkpoints: 52,
        ..config(5_000, 1, 99, freq, sev)
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| simulate_outcomes(&m, &cfg).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
    let other = simulate_outcomes(
        &m,
        &SimConfig {
            seed: 100,
            ..cfg.clone()
        },
    )
    .unwrap();
    assert_ne!(one.0, other.0);
}

#[test]
fn ruin_falls_with_the_base_rate_and_the_recommendation_is_the_smallest_passing_rate() {
    let sev = Severity::LogNormal(LogNormal {
        mu: (30_000.0 * TOKEN as f64).ln(),
        sigma: 1.2,
    });
    let freq = Frequency::Poisson { rate: 25.0 };
    let mut m = classical(1_000_000 * TOKEN, 2_000_000 * TOKEN);
    m.curve = Curve {
        base_rate: 10,
        slope1: 20,
        kink: 8_000,
        slope2: 40,
        min_rate: 0,
        max_rate: 500,
    };
    m.max_exposure_bps = 100_000;
    m.per_event_cap = 400_000 * TOKEN;
    m.per_epoch_cap = 600_000 * TOKEN;
    let cfg = config(4_000, 1, 5, freq, sev);
    let ruin_at = |base: u64| {
        let mut x = m.clone();
        x.curve.base_rate = base;
        x.curve.max_rate = x.curve.max_rate.max(base);
        simulate(&x, &cfg).unwrap().ruin_probability
    };
    let sweep: Vec<f64> = [0, 100, 200, 400, 800, 1600]
        .iter()
        .map(|&b| ruin_at(b))
        .collect();
    assert!(sweep.windows(2).all(|w| w[1] <= w[0]), "{sweep:?}");
    assert!(sweep[0] > 0.2 && sweep[5] < 0.01, "{sweep:?}");
    println!("ruin by base rate: {sweep:?}");
    let rec = recommend(&m, &cfg, 0.01).unwrap();
    let base = rec.base_rate.expect("a base rate meets 1 %");
    assert!(ruin_at(base) <= 0.01 && ruin_at(base - 1) > 0.01, "{rec:?}");
    assert_eq!(rec.ruin_at_base_rate, Some(ruin_at(base)));
    // The current rate misses the target, so a cap was searched too.
    let cap = rec
        .per_event_cap
        .expect("a smaller per-event cap meets 1 %");
    assert!(cap < m.per_event_cap);
    let mut at_cap = m.clone();
    at_cap.per_event_cap = cap;
    assert!(simulate(&at_cap, &cfg).unwrap().ruin_probability <= 0.01);
}

/// Replays `losses` on `m` over `horizon` whole, and again as two runs split at the
/// loss at `at` (a whole number of epochs, so that loss opens a new epoch either way):
/// the second run starts from the first's final capital and nothing else. The program
/// remembers no rate, so neither may the engine: both must agree exactly.
fn assert_split_runs_equal_the_whole(m: &PoolModel, horizon: i64, losses: &[(i64, u64)], at: i64) {
    assert_eq!(at % m.epoch_length, 0);
    assert!(losses.iter().any(|&(t, _)| t == at), "a loss at the split");
    let whole = replay(m, horizon, losses).unwrap();
    let k = losses.partition_point(|&(t, _)| t < at);
    let head = replay(m, at, &losses[..k]).unwrap();
    let rest = PoolModel {
        capital: head.final_capital,
        ..m.clone()
    };
    let shifted: Vec<(i64, u64)> = losses[k..].iter().map(|&(t, a)| (t - at, a)).collect();
    let tail = replay(&rest, horizon - at, &shifted).unwrap();
    let joined = PathOutcome {
        ruin_time: head.ruin_time.or(tail.ruin_time.map(|t| t + at)),
        losses: head.losses + tail.losses,
        payouts: head.payouts + tail.payouts,
        uncovered: head.uncovered + tail.uncovered,
        unmet_by_capital: head.unmet_by_capital + tail.unmet_by_capital,
        premiums: head.premiums + tail.premiums,
        volume_income: head.volume_income + tail.volume_income,
        final_capital: tail.final_capital,
    };
    assert_eq!(whole, joined, "split at {at}");
}

#[test]
fn the_rate_is_the_curve_at_the_current_capital_and_nothing_is_remembered() {
    let sample: PoolModel = serde_json::from_str(include_str!("../data/sample-pool.json")).unwrap();
    let day = 86_400;
    // Large losses push the rate up to the curve's `max_rate`; the split falls on a
    // one-unit loss once the capital has grown back and the rate is falling fast: from
    // there on the whole run must charge what a pool starting from that capital
    // charges, the curve there, and not a rate remembered from before (a smoothed
    // fall would still be above it).
    let losses = [
        (3 * day + 100, 150_000 * TOKEN),
        (4 * day, 120_000 * TOKEN),
        (40 * day, 60_000 * TOKEN),
        (70 * day, 1),
        (100 * day, 150_000 * TOKEN),
    ];
    assert_split_runs_equal_the_whole(&sample, 180 * day, &losses, 70 * day);
    // The same on simulated years (the sample losses, with one loss added mid-year to
    // split at), on the sample pool, with a flat volume income, and on a thin pool that
    // is ruined on some paths.
    let mut with_volume = sample.clone();
    with_volume.volume_per_day = 1_000_000 * TOKEN;
    with_volume.volume = flat_volume(2);
    let mut thin = sample.clone();
    thin.capital = 150_000 * TOKEN;
    let at = 180 * day;
    let mut ruined = 0;
    for m in [&sample, &with_volume, &thin] {
        for i in 0..200 {
            let mut losses = Vec::new();
            let mut rng = path_rng(41, i);
            let freq = Frequency::Poisson { rate: 50.0 };
            sample_losses(
                freq,
                Severity::sample_history(),
                YEAR_SECS,
                &mut rng,
                &mut losses,
            );
            let k = losses.partition_point(|&(t, _)| t < at);
            losses.insert(k, (at, 1_000 * TOKEN));
            assert_split_runs_equal_the_whole(m, YEAR_SECS, &losses, at);
            if std::ptr::eq(m, &thin) {
                ruined += replay(m, YEAR_SECS, &losses).unwrap().ruin_time.is_some() as usize;
            }
        }
    }
    assert!(ruined > 0, "the thin pool is ruined on some paths");
}

#[test]
fn invalid_simulations_are_refused() {
    let sev = Severity::Exponential { mean: 1.0 };
    let m = classical(1, 1);
    assert!(simulate(&m, &config(0, 1, 1, Frequency::Poisson { rate: 1.0 }, sev)).is_err());
    let mut bad = m.clone();
    bad.per_event_cap = 0;
    assert!(simulate(
        &bad,
        &config(10, 1, 1, Frequency::Poisson { rate: 1.0 }, sev)
    )
    .is_err());
    let cfg = SimConfig {
        scenarios: vec![],
        ..config(10, 1, 1, Frequency::Poisson { rate: 1.0 }, sev)
    };
    assert!(simulate(&m, &cfg).is_err());
}

/// A flat volume curve at `rate` bps of volume.
fn flat_volume(rate: u64) -> VolumeCurve {
    VolumeCurve {
        base_rate: rate,
        loss_slope: 0,
        min_rate: rate,
        max_rate: rate,
        loss_decay_per_day: 500,
    }
}

/// A pool whose daily premium is exactly `10^7 · rate` base units (exposure 3 million
/// tokens over a 30-day term: `premium_for` divides without rounding), base rate free
/// in [0, 10 000], unlimited caps and no floor: every bps of base rate is 10 tokens a
/// day.
fn linear_premium_pool() -> PoolModel {
    let mut m = classical(1_000_000 * TOKEN, 3_000_000 * TOKEN);
    m.curve = Curve {
        base_rate: 300,
        slope1: 0,
        kink: 8_000,
        slope2: 0,
        min_rate: 0,
        max_rate: 10_000,
    };
    assert_eq!(m.net_premium(m.exposure, 1, 86_400), 10_000_000);
    m
}

#[test]
fn volume_income_lowers_the_recommended_base_rate_by_the_premium_it_replaces() {
    let sev = Severity::LogNormal(LogNormal {
        mu: (30_000.0 * TOKEN as f64).ln(),
        sigma: 1.2,
    });
    let cfg = config(4_000, 1, 11, Frequency::Poisson { rate: 25.0 }, sev);
    let base = linear_premium_pool();
    // 400 000 tokens of volume a day at a flat 10 bps: 400 tokens a day, what 40 bps of
    // base rate earn.
    let mut with_volume = base.clone();
    with_volume.volume_per_day = 400_000 * TOKEN;
    with_volume.volume = flat_volume(10);
    assert_eq!(with_volume.net_volume_fee(10, 86_400), 40 * 10_000_000);
    assert_eq!(
        with_volume.annual_volume_income_now(),
        365 * 400 * TOKEN,
        "the report's yearly volume income"
    );
    // Path by path, the volume income is the same capital as 40 more bps of premium,
    // up to the rounding down of each stretch's income (one base unit per stretch and
    // income; a stretch ends at each loss and after 30 quiet days).
    let mut plus_40 = base.clone();
    plus_40.curve.base_rate += 40;
    let (a, _) = simulate_outcomes(&with_volume, &cfg).unwrap();
    let (b, _) = simulate_outcomes(&plus_40, &cfg).unwrap();
    for (v, p) in a.iter().zip(&b) {
        let stretches = v.losses as u64 + 14;
        assert_eq!((v.ruin_time, v.losses), (p.ruin_time, p.losses));
        assert!(v.volume_income.abs_diff(365 * 400 * TOKEN) <= stretches);
        if v.ruin_time.is_some() {
            // Emptied, the pool sells no cover (its exposure cap is 0) but still
            // receives volume fees: the two differ after ruin.
            continue;
        }
        assert!(
            v.payouts.abs_diff(p.payouts) <= 2 * stretches,
            "{v:?} {p:?}"
        );
        assert!(v.final_capital.abs_diff(p.final_capital) <= 2 * stretches);
        assert!((v.premiums + v.volume_income).abs_diff(p.premiums) <= 2 * stretches);
    }
    // So at the current base rate the ruin probability falls ...
    let ruin = |m: &PoolModel| simulate(m, &cfg).unwrap().ruin_probability;
    let (without, with) = (ruin(&base), ruin(&with_volume));
    println!("ruin at base 300: {without} without volume income, {with} with it");
    assert!(with < without, "{with} >= {without}");
    // ... and the recommended base rate drops by exactly the 40 bps the volume replaces.
    let target = 0.01;
    let r0 = recommend(&base, &cfg, target).unwrap();
    let r1 = recommend(&with_volume, &cfg, target).unwrap();
    let (b0, b1) = (r0.base_rate.unwrap(), r1.base_rate.unwrap());
    println!("recommended base rate: {b0} bps without volume income, {b1} bps with it");
    assert!(b0 > 40, "{r0:?}");
    assert_eq!(b1, b0 - 40, "{r0:?} {r1:?}");
    assert_eq!(r1.ruin_at_base_rate, r0.ruin_at_base_rate);
}

/// The SDK's default volume curve (`DEFAULT_VOLUME`): 2 bps plus 5 bps per 1 % of
/// loss index over free capital, within [1, 50]; the index forgets 5 % a day.
fn default_volume() -> VolumeCurve {
    VolumeCurve {
        base_rate: 2,
        loss_slope: 500,
        min_rate: 1,
        max_rate: 50,
        loss_decay_per_day: 500,
    }
}

#[test]
fn a_loss_priced_volume_rate_earns_at_least_its_base_rate_and_follows_the_losses() {
    let sev = Severity::LogNormal(LogNormal {
        mu: (30_000.0 * TOKEN as f64).ln(),
        sigma: 1.2,
    });
    let cfg = config(3_000, 1, 23, Frequency::Poisson { rate: 25.0 }, sev);
    let mut flat_m = linear_premium_pool();
    flat_m.volume_per_day = 400_000 * TOKEN;
    flat_m.volume = flat_volume(2);
    let mut priced = flat_m.clone();
    priced.volume = default_volume();
    let (f, _) = simulate_outcomes(&flat_m, &cfg).unwrap();
    let (p, _) = simulate_outcomes(&priced, &cfg).unwrap();
    let mut raised = 0;
    for (f, p) in f.iter().zip(&p) {
        // The rate is never below the base rate, so neither is the income; the same
        // losses, never paid from less capital.
        assert_eq!(f.losses, p.losses);
        assert!(p.volume_income >= f.volume_income);
        assert!(p.ruin_time.is_none() || f.ruin_time.is_some_and(|t| t <= p.ruin_time.unwrap()));
        raised += (p.volume_income > f.volume_income) as usize;
        if f.losses == 0 {
            assert_eq!(p.volume_income, f.volume_income, "no loss, no rise");
        }
    }
    assert!(
        raised > cfg.paths / 2,
        "the losses moved the rate on {raised} paths"
    );
    let s = simulate(&priced, &cfg).unwrap();
    let flat_s = simulate(&flat_m, &cfg).unwrap();
    assert!(s.ruin_probability <= flat_s.ruin_probability);
    assert!(s.mean_volume_income > flat_s.mean_volume_income);

    // A loss is remembered as long as the index decays slowly: a slower decay earns
    // more; a full decay (10 000 bps a day) forgets every loss by the next day, before
    // it can raise a rate (the rate follows losses from the next day), so it earns the
    // base rate exactly, path by path: no charged rate is carried over.
    let income = |decay: u64| {
        let mut m = priced.clone();
        m.volume.loss_decay_per_day = decay;
        simulate(&m, &cfg).unwrap().mean_volume_income
    };
    let (slow, fast) = (income(100), income(2_000));
    assert!(
        slow > s.mean_volume_income && s.mean_volume_income > fast,
        "{slow} {} {fast}",
        s.mean_volume_income
    );
    let mut forgetful = priced.clone();
    forgetful.volume.loss_decay_per_day = 10_000;
    assert_eq!(simulate_outcomes(&forgetful, &cfg).unwrap().0, f);

    // Each shortfall adds at most the per-event cap: with a cap of one base unit the
    // index stays a few units, a loss term of at most 1 bps on this capital (rounded
    // up), so the income lies between the flat 2 and 3 bps curves', path by path.
    let mut capped = priced.clone();
    capped.per_event_cap = 1;
    let (c, _) = simulate_outcomes(&capped, &cfg).unwrap();
    let mut flat_3 = flat_m.clone();
    flat_3.volume = flat_volume(3);
    let (f3, _) = simulate_outcomes(&flat_3, &cfg).unwrap();
    let mut above_base = 0;
    for ((c, f), f3) in c.iter().zip(&f).zip(&f3) {
        assert!(f.volume_income <= c.volume_income && c.volume_income <= f3.volume_income);
        above_base += (c.volume_income > f.volume_income) as usize;
    }
    assert!(above_base > cfg.paths / 2, "{above_base}");
}

#[test]
fn the_volume_rate_follows_the_programs_rule() {
    let mut m = classical(1_000_000, 0);
    m.volume = default_volume();
    // `math::volume`'s worked example: a loss index of 2 % of free capital gives
    // 2 + 10 bps; none, the base rate; the reserved capital is not free; none free
    // with losses, the maximum.
    assert_eq!(m.volume_rate(20_000, 1_000_000), 12);
    assert_eq!(m.volume_rate(0, 1_000_000), 2);
    m.reserved_for_claims = 600_000;
    assert_eq!(m.volume_rate(20_000, 1_000_000), 27);
    assert_eq!(m.volume_rate(20_000, 600_000), 50);
    assert_eq!(m.volume_rate(0, 600_000), 2);
    // The index decays by whole days, rounding down (`math::volume`'s examples).
    assert_eq!(m.decayed_loss_index(1_002, 0), 1_002);
    assert_eq!(m.decayed_loss_index(1_002, 1), 951);
    assert_eq!(m.decayed_loss_index(1_002, 10), 599);
    // A shortfall adds the loss capped at the per-event limit, after decaying the
    // index to its day; a second one the same day decays nothing.
    m.per_event_cap = 700;
    assert_eq!(m.record_volume_loss(1_002, 3, 500, 4), (951 + 500, 4));
    assert_eq!(m.record_volume_loss(1_451, 4, 5_000, 4), (1_451 + 700, 4));
    // The starting rate is the rule on the starting state.
    m.reserved_for_claims = 0;
    m.loss_index = 20_000;
    assert_eq!(m.initial_volume_rate(), 12);

    // A zero volume is no income, whatever the curve: the same outcomes as without one.
    let sev = Severity::Exponential {
        mean: 1_000.0 * TOKEN as f64,
    };
    let cfg = config(500, 1, 3, Frequency::Poisson { rate: 30.0 }, sev);
    let plain = classical(20_000 * TOKEN, 10_000 * TOKEN);
    let mut curve_only = plain.clone();
    curve_only.volume = m.volume;
    curve_only.loss_index = 5_000 * TOKEN;
    assert_eq!(
        simulate_outcomes(&plain, &cfg).unwrap(),
        simulate_outcomes(&curve_only, &cfg).unwrap()
    );
    // The sample pool (no volume fields) reads as no volume income.
    let sample: PoolModel = serde_json::from_str(include_str!("../data/sample-pool.json")).unwrap();
    assert_eq!(
        (sample.volume_per_day, sample.annual_volume_income_now()),
        (0, 0)
    );
    // A volume curve the program would refuse is refused.
    let mut bad = plain.clone();
    bad.volume_per_day = 1;
    bad.volume.min_rate = 3;
    assert!(simulate(&bad, &cfg).unwrap_err().contains("volume curve"));
    for decay in [0, 10_001] {
        let mut bad = curve_only.clone();
        bad.volume_per_day = 1;
        bad.volume.loss_decay_per_day = decay;
        let e = simulate(&bad, &cfg).unwrap_err();
        assert!(e.contains("loss_decay_per_day"), "{e}");
    }
}

/// The continuous rule stepped finely (`h` seconds): each step the program's rate at
/// the step's capital (the curve at the utilisation: no smoothing), premium at that
/// rate on the exposure sold; losses paid as the engine pays them. Returns (premiums,
/// final capital).
fn fine_steps(m: &PoolModel, horizon: i64, losses: &[(i64, u64)], h: i64) -> (f64, f64) {
    use insurance_pool::math::shortfall::{cover_amount, current_epoch_start};
    let mut c = m.capital as f64;
    let per = (1.0 - m.protocol_fee_bps as f64 / 1e4) / (1e4 * m.coverage_duration as f64);
    let (mut premiums, mut next, mut epoch, mut paid) = (0.0, 0usize, 0i64, 0u64);
    let mut t = 0;
    while t < horizon {
        let (rate, exposure) = m.rate_and_exposure(c as u64);
        let step = h.min(horizon - t);
        let income = exposure as f64 * rate as f64 * per * step as f64;
        premiums += income;
        c += income;
        t += step;
        while next < losses.len() && losses[next].0 < t {
            let start = current_epoch_start(epoch, m.epoch_length, losses[next].0);
            if start != epoch {
                (epoch, paid) = (start, 0);
            }
            let floor = m.min_reserve + m.reserved_for_claims;
            let (covered, _) = cover_amount(
                losses[next].1,
                m.per_event_cap,
                m.per_epoch_cap - paid,
                (c as u64).saturating_sub(floor),
            );
            c -= covered as f64;
            paid += covered;
            next += 1;
        }
    }
    (premiums, c)
}

#[test]
fn stretches_in_closed_form_match_the_continuous_rule_stepped_finely() {
    // The sample pool after large losses and long quiet stretches (the predictor's
    // hardest case), from its own capital and from 500 000 tokens (the first losses
    // then take the rate to the curve's `max_rate`, which it leaves mid-stretch).
    let sample: PoolModel = serde_json::from_str(include_str!("../data/sample-pool.json")).unwrap();
    let day = 86_400;
    let losses = [
        (3 * day + 100, 150_000 * TOKEN),
        (4 * day, 120_000 * TOKEN),
        (40 * day, 60_000 * TOKEN),
        (41 * day + 7, 2_000 * TOKEN),
        (100 * day, 150_000 * TOKEN),
    ];
    let horizon = 180 * day;
    for capital in [sample.capital, 500_000 * TOKEN] {
        let m = PoolModel {
            capital,
            ..sample.clone()
        };
        let closed = replay(&m, horizon, &losses).unwrap();
        let (premiums, capital) = fine_steps(&m, horizon, &losses, 60);
        let rel = (closed.premiums as f64 - premiums) / premiums;
        println!(
            "capital {}: closed form {} vs fine steps {premiums:.0} premiums ({:+.3} %), capital {} vs {capital:.0}",
            m.capital,
            closed.premiums,
            rel * 100.0,
            closed.final_capital
        );
        // Within 0.5 % above (the float curve drops the program's round-ups) and 1 %
        // below: when the rate sits on the curve's `max_rate` for part of a stretch,
        // the rate line, a chord from the clamp, passes under the plateau: the engine
        // then charges less than the rule would, the conservative side. Measured:
        // +0.18 % and −0.71 %. (Tighter than the 1 % / 3 % allowed while the rule had
        // a smoothed fall, which the engine followed less closely.)
        assert!((-0.01..0.005).contains(&rel), "{rel}");
        let gap = (closed.final_capital as f64 - capital) / premiums;
        assert!((-0.01..0.005).contains(&gap), "{gap}");
    }
    // Refused inputs.
    assert!(replay(&sample, horizon, &[(horizon, 1)]).is_err());
    assert!(replay(&sample, horizon, &[(5, 1), (4, 1)]).is_err());
}
