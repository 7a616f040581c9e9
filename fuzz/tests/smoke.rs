//! Fixed-seed runs on the SBF binaries in lockstep with the model, and the replay of
//! every stored regression case (skipped, loudly, when the binaries are missing or
//! older than the programs' sources).

use insurance_pool_fuzz::harness::{default_deploy_dir, stale_sources, Harness};
use insurance_pool_fuzz::{load_regressions, ops, regressions_dir, run};

fn binaries() -> Option<std::path::PathBuf> {
    let dir = default_deploy_dir();
    if !dir.join("insurance_pool.so").exists() || !dir.join("example_exchange.so").exists() {
        eprintln!(
            "SBF SKIPPED: no binaries in {} (scripts/build-sbf.sh)",
            dir.display()
        );
        return None;
    }
    let stale = stale_sources(&dir).expect("read the sources");
    if let Some(newer) = stale.first() {
        eprintln!(
            "SBF SKIPPED: the binaries in {} are older than {} (scripts/build-sbf.sh)",
            dir.display(),
            newer.display()
        );
        return None;
    }
    Some(dir)
}

#[test]
fn a_short_run_keeps_every_rule() {
    let Some(dir) = binaries() else { return };
    let sequence = ops::generate(1, 500);
    let mut harness = Harness::new(&dir, false).expect("setup");
    let (report, failure) = run(&mut harness, &sequence);
    assert!(failure.is_none(), "{failure:?}");
    assert_eq!(report.ops, 500);
    assert!(report.checks > 500);
    for name in ["deposit", "contribute_premium", "x:set_price"] {
        assert!(report.per_instruction[name].ok > 0, "{name}");
    }
}

#[test]
fn every_stored_regression_case_now_passes() {
    let Some(dir) = binaries() else { return };
    let cases = load_regressions(&regressions_dir()).expect("read fuzz/regressions");
    let pristine = Harness::new(&dir, false).expect("setup");
    for (path, case) in cases {
        let mut harness = pristine.fork();
        let (_, failure) = run(&mut harness, &case.ops);
        assert!(
            failure.is_none(),
            "{} (found: {}) fails again: {failure:?}",
            path.display(),
            case.found
        );
    }
}
