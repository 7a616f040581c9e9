//! A short fixed-seed run on the SBF binaries (skipped, loudly, when they are missing).

use insurance_pool_fuzz::harness::{default_deploy_dir, Harness};
use insurance_pool_fuzz::{ops, run};

#[test]
fn a_short_run_keeps_every_invariant() {
    let dir = default_deploy_dir();
    if !dir.join("insurance_pool.so").exists() || !dir.join("example_exchange.so").exists() {
        eprintln!(
            "SBF SKIPPED: no binaries in {} (scripts/build-sbf.sh)",
            dir.display()
        );
        return;
    }
    let stale = insurance_pool_fuzz::harness::stale_sources(&dir).expect("read the sources");
    if !stale.is_empty() {
        eprintln!(
            "SBF SKIPPED: the binaries in {} are older than {} (scripts/build-sbf.sh)",
            dir.display(),
            stale[0].display()
        );
        return;
    }
    let sequence = ops::generate(1, 300);
    let mut harness = Harness::new(&dir, false).expect("setup");
    let (report, failure) = run(&mut harness, &sequence);
    assert!(failure.is_none(), "{failure:?}");
    assert_eq!(report.ops, 300);
    // The sequence exercises both outcomes of every instruction it sends.
    for (name, counts) in &report.per_instruction {
        assert!(counts.ok + counts.refused_total() > 0, "{name}");
    }
    assert!(report.per_instruction["deposit"].ok > 0);
    assert!(report.per_instruction["contribute_premium"].ok > 0);
}
