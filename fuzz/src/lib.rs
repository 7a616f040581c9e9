//! Stateful fuzzer of the insurance pool on its SBF binaries (issue 15).
//!
//! [`ops::generate`] turns a seed into a sequence of [`ops::Op`]s (data, not code);
//! [`run`] executes a sequence on a [`harness::Harness`] (an in-process LiteSVM 0.16
//! with `target/deploy/insurance_pool.so` and `example_exchange.so`) in lockstep with
//! the reference [`model::Model`], checking agreement, isolation and the invariants
//! after every step. Because an operation refers only to indices and to amounts
//! relative to the state when it runs, any subset of a failing sequence replays on a
//! fresh world: [`shrink`] finds a short one, [`save_regression`] stores it as JSON in
//! `fuzz/regressions/`, and `tests/regressions.rs` replays every stored case.

pub mod fairness;
pub mod harness;
pub mod model;
pub mod ops;
pub mod pdas;
pub mod rules;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use harness::{Harness, Outcome};
use ops::Op;

/// What happened to one instruction over a run.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub ok: u64,
    /// Refusals by error name.
    pub refused: BTreeMap<String, u64>,
    /// Operations with nothing to act on (a claim operation before any claim).
    pub skipped: u64,
    /// Compute units of the successful and of the refused transactions.
    pub cu_ok: u64,
    pub cu_refused: u64,
}

impl Counts {
    pub fn refused_total(&self) -> u64 {
        self.refused.values().sum()
    }
}

/// Totals of a run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Operations executed (including the failing one, if any).
    pub ops: u64,
    /// Clock moves among them.
    pub warps: u64,
    pub per_instruction: BTreeMap<&'static str, Counts>,
    /// Wall time of the whole loop, and of sending the transactions alone.
    pub elapsed: Duration,
    pub in_svm: Duration,
    /// Checks performed (accounts compared with the model, invariant sweeps, bounds).
    pub checks: u64,
}

/// A rule broken at `step` (0-based) by `op`.
#[derive(Clone, Debug)]
pub struct Failure {
    pub step: usize,
    pub op: Op,
    pub message: String,
}

/// Executes `ops` in order on `harness`; stops at the first broken rule.
pub fn run(harness: &mut Harness, ops: &[Op]) -> (Report, Option<Failure>) {
    let mut report = Report::default();
    let start = Instant::now();
    let tx_time_before = harness.tx_time;
    let checks_before = harness.checks;
    let mut failure = None;
    for (step, op) in ops.iter().enumerate() {
        report.ops += 1;
        match harness.step(op) {
            Err(message) => {
                failure = Some(Failure {
                    step,
                    op: *op,
                    message,
                });
                break;
            }
            Ok(Outcome::Warped) => report.warps += 1,
            Ok(Outcome::Skipped) => {
                report.per_instruction.entry(op.name()).or_default().skipped += 1
            }
            Ok(Outcome::Ok { cu }) => {
                let c = report.per_instruction.entry(op.name()).or_default();
                c.ok += 1;
                c.cu_ok += cu;
            }
            Ok(Outcome::Refused { reason, cu }) => {
                let c = report.per_instruction.entry(op.name()).or_default();
                *c.refused.entry(reason).or_default() += 1;
                c.cu_refused += cu;
            }
        }
    }
    report.elapsed = start.elapsed();
    report.in_svm = harness.tx_time - tx_time_before;
    report.checks = harness.checks - checks_before;
    (report, failure)
}

/// Whether `ops` still breaks a rule on a fresh copy of `pristine`.
fn fails(pristine: &Harness, ops: &[Op]) -> Option<Failure> {
    let mut h = pristine.fork();
    run(&mut h, ops).1
}

/// A short sequence that still breaks a rule: the prefix up to the failure, then
/// chunks of decreasing size removed while the failure persists (delta debugging),
/// then single clock moves shortened. `pristine` is the world before the first step.
pub fn shrink(pristine: &Harness, ops: &[Op], failure: &Failure) -> (Vec<Op>, Failure) {
    let mut best: Vec<Op> = ops[..=failure.step].to_vec();
    let mut best_failure = failure.clone();
    let mut chunk = best.len() / 2;
    while chunk >= 1 {
        let mut i = 0;
        while i < best.len() {
            let end = (i + chunk).min(best.len());
            let mut candidate = best[..i].to_vec();
            candidate.extend_from_slice(&best[end..]);
            match fails(pristine, &candidate) {
                Some(f) if !candidate.is_empty() => {
                    best = candidate[..=f.step].to_vec();
                    best_failure = f;
                }
                _ => i += chunk,
            }
        }
        chunk /= 2;
    }
    (best, best_failure)
}

/// The directory of stored regression cases.
pub fn regressions_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("regressions")
}

/// A stored regression case: the operations and what they broke when found.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Regression {
    pub seed: u64,
    pub found: String,
    pub ops: Vec<Op>,
}

/// Writes `ops` as `regressions/seed-<seed>-<n>ops.json`; returns the path.
pub fn save_regression(dir: &Path, seed: u64, found: &str, ops: &[Op]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("seed-{seed}-{}ops.json", ops.len()));
    let case = Regression {
        seed,
        found: found.to_string(),
        ops: ops.to_vec(),
    };
    let text = serde_json::to_string_pretty(&case).map_err(std::io::Error::other)?;
    std::fs::write(&path, text + "\n")?;
    Ok(path)
}

/// Every stored regression case.
pub fn load_regressions(dir: &Path) -> std::io::Result<Vec<(PathBuf, Regression)>> {
    let mut cases = Vec::new();
    if !dir.exists() {
        return Ok(cases);
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        let case: Regression = serde_json::from_str(&text).map_err(std::io::Error::other)?;
        cases.push((path, case));
    }
    Ok(cases)
}
