//! Compute-unit benchmark of the SBF binaries (see [`insurance_pool_xtask::cu`]).
//!
//! Run after `bash scripts/build-sbf.sh`:
//! - `cargo run -p insurance-pool-xtask --bin cu-bench`: prints the README's tables
//!   (floor, before, after, ratio, budget per instruction; binary sizes);
//! - `-- --check`: also exits 1 listing every row or size above its budget in
//!   `xtask/cu-budgets.tsv` (what `xtask/tests/cu_budgets.rs` asserts);
//! - `-- --write-budgets`: rewrites `xtask/cu-budgets.tsv` from this run (after a
//!   change that made an instruction cheaper, or one whose cost is justified);
//! - `-- --write-baseline`: rewrites `xtask/cu-baseline.tsv` (the "before" column);
//! - `-- --breakdown <dir>`: measures again on the binaries in `<dir>` (built with the
//!   program's `cu-probes` feature by `scripts/cu-breakdown.sh`) and prints where each
//!   instruction's compute units go instead of the tables.

use insurance_pool_xtask::cu::{breakdown_markdown, markdown, measure, Budgets};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let report = measure().await;
    if let Some(at) = args.iter().position(|a| a == "--breakdown") {
        let dir = args
            .get(at + 1)
            .expect("--breakdown <dir of probed binaries>");
        // SAFETY: single-threaded here (current-thread runtime, nothing else running).
        unsafe { std::env::set_var("SBF_OUT_DIR", dir) };
        let probed = measure().await;
        print!("{}", breakdown_markdown(&report, &probed));
        return;
    }
    let budgets_path = Budgets::path();
    let baseline_path = Budgets::baseline_path();
    if args.iter().any(|a| a == "--write-budgets") {
        let text = Budgets::from_report(&report).to_file(
            "Compute-unit and size budgets of the SBF binaries built by scripts/build-sbf.sh\n\
             (checked by xtask/tests/cu_budgets.rs; rewrite with `cu-bench -- --write-budgets`).",
        );
        std::fs::write(&budgets_path, text).expect("write budgets");
        eprintln!("wrote {}", budgets_path.display());
    }
    if args.iter().any(|a| a == "--write-baseline") {
        let text = Budgets::exact(&report)
            .to_file("Measurements before issue 16's levers (README \"before\" column).");
        std::fs::write(&baseline_path, text).expect("write baseline");
        eprintln!("wrote {}", baseline_path.display());
    }
    let budgets = Budgets::load(&budgets_path).unwrap_or_default();
    let baseline = Budgets::load(&baseline_path).unwrap_or_default();
    print!("{}", markdown(&report, &baseline, &budgets));
    if args.iter().any(|a| a == "--check") {
        let violations = budgets.violations(&report);
        if !violations.is_empty() {
            eprintln!("compute-unit budgets broken:");
            for v in &violations {
                eprintln!("  {v}");
            }
            std::process::exit(1);
        }
        eprintln!("every row and binary within its budget");
    }
}
