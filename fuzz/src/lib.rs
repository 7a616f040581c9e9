//! Stateful fuzzer of the insurance pool on its SBF binaries (issue 15).
//!
//! [`ops::generate`] turns a seed into a sequence of [`ops::Op`]s (data, not code);
//! [`run`] executes a sequence on a [`harness::Harness`] (an in-process LiteSVM 0.16
//! with `target/deploy/insurance_pool.so` and `example_exchange.so`) and checks the
//! invariants after every step. Because an operation refers only to actor indices and
//! amounts (or amounts relative to the state when it runs), any subset of a failing
//! sequence replays on a fresh harness: that is what shrinking will use.

pub mod harness;
pub mod ops;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use harness::{Harness, Outcome};
use ops::Op;

/// What happened to one instruction over a run.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub ok: u64,
    /// Refusals by error name.
    pub refused: BTreeMap<String, u64>,
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
    /// Per instruction.
    pub per_instruction: BTreeMap<&'static str, Counts>,
    /// Wall time of the whole loop, and of building, signing and sending the
    /// transactions alone (the rest is reading accounts and checking invariants).
    pub elapsed: Duration,
    pub in_svm: Duration,
}

/// An invariant broken at `step` (0-based) by `op`.
#[derive(Clone, Debug)]
pub struct Failure {
    pub step: usize,
    pub op: Op,
    pub message: String,
}

/// Executes `ops` in order on `harness`; stops at the first broken invariant. A refusal
/// that is neither a named program error nor a token-program error counts as broken.
pub fn run(harness: &mut Harness, ops: &[Op]) -> (Report, Option<Failure>) {
    let mut report = Report::default();
    let start = Instant::now();
    let tx_time_before = harness.tx_time;
    let mut failure = None;
    for (step, op) in ops.iter().enumerate() {
        report.ops += 1;
        let outcome = harness.step(op);
        let fail = |message: String| Failure {
            step,
            op: *op,
            message,
        };
        match outcome {
            Err(message) => {
                failure = Some(fail(message));
                break;
            }
            Ok(Outcome::Warped) => report.warps += 1,
            Ok(Outcome::Ok { cu }) => {
                let c = report.per_instruction.entry(op.name()).or_default();
                c.ok += 1;
                c.cu_ok += cu;
            }
            Ok(Outcome::Refused {
                reason,
                explained,
                cu,
            }) => {
                let c = report.per_instruction.entry(op.name()).or_default();
                *c.refused.entry(reason.clone()).or_default() += 1;
                c.cu_refused += cu;
                if !explained {
                    failure = Some(fail(format!("unexplained refusal: {reason}")));
                    break;
                }
            }
        }
    }
    report.elapsed = start.elapsed();
    report.in_svm = harness.tx_time - tx_time_before;
    (report, failure)
}
