//! The reduced backtest CI runs (the README's is `cargo run -p insurance-pool-actuary
//! --bin actuary-backtest`, 50 histories): held-out histories from the four known
//! models, a recommendation fitted on the first four years of each, judged under the
//! true model. At 99 % confidence over the bootstrap replicates at least 90 % of the
//! cases keep the true one-year ruin within the 0.5 % target plus its tolerance; the
//! same histories recommended on the replicates' mixture (`--parameter-uncertainty`
//! alone) do not, which is why the confidence is needed.

use actuary::backtest::{markdown, run, BacktestConfig};
use actuary::sim::PoolModel;

fn reduced() -> BacktestConfig {
    BacktestConfig {
        histories: 10,
        search_paths: 10_000,
        eval_paths: 50_000,
        bootstrap: 60,
        replicates: 24,
        replicate_paths: 1_500,
        ..BacktestConfig::default()
    }
}

fn sample_pool() -> PoolModel {
    serde_json::from_str(include_str!("../data/sample-pool.json")).unwrap()
}

#[test]
fn recommendations_at_confidence_keep_held_out_pools_within_the_target() {
    let pool = sample_pool();
    let cfg = reduced();
    let b = run(&pool, &cfg).unwrap();
    println!("{}", markdown(&b));
    assert_eq!(b.cases.len(), 10);
    // Every case was judged (a rate meeting the target exists for every fit), on
    // enough paths that its standard error is within the tolerance.
    for c in &b.cases {
        let (ruin, se) = (c.true_ruin.unwrap(), c.true_ruin_se.unwrap());
        assert!(se < cfg.tolerance, "{c:?}");
        assert_eq!(c.passed, ruin <= cfg.target + cfg.tolerance);
    }
    assert!(b.ok, "{} of {} passed", b.passed, b.cases.len());
    assert!(b.pass_rate >= 0.9);
    // Both frequency families were fitted as they are: the negative binomial cases
    // detected as over-dispersed, the Poisson ones not.
    let detected = |name: &str| {
        b.cases
            .iter()
            .filter(|c| c.model.starts_with(name))
            .filter(|c| c.fitted_negative_binomial)
            .count()
    };
    assert_eq!(detected("Poisson"), 0);
    assert!(detected("negative binomial") >= 4, "{}", markdown(&b));

    // The mixture alone recommends less and misses the target on some of the same
    // histories.
    let mixture = run(
        &pool,
        &BacktestConfig {
            confidence: None,
            ..cfg.clone()
        },
    )
    .unwrap();
    println!("{}", markdown(&mixture));
    assert!(mixture.passed < b.passed, "{}", markdown(&mixture));
    for (m, c) in mixture.cases.iter().zip(&b.cases) {
        assert!(m.base_rate <= c.base_rate, "{m:?} {c:?}");
    }
}
