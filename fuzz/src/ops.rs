//! Operations as data: a seeded generator makes a `Vec<Op>`, the harness executes it.
//!
//! An operation names its actor by index and its amounts either literally or relative
//! to the state at execution time ([`Shares`]), never by anything a previous step
//! created. So any subset of a sequence is itself a valid sequence: a failing run can
//! be shrunk by replaying subsets of its operations on a fresh harness.

/// Underwriters are actors `0..UNDERWRITERS`, members the rest (`UNDERWRITERS..ACTORS`).
pub const UNDERWRITERS: u8 = 4;
/// Every actor: underwriters then members.
pub const ACTORS: u8 = 8;
/// Tokens (base units) each actor holds at the start: 1,000,000 tokens of 6 decimals.
pub const FUNDING: u64 = 1_000_000_000_000;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// How many shares a withdrawal request names, resolved when it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shares {
    /// Every share of the position not already under a request.
    AllFree,
    /// `free / n` (at least 1).
    Fraction(u8),
    /// A literal count (edges: 0, 1, `u128::MAX`).
    Exact(u128),
}

/// One step of a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Deposit {
        actor: u8,
        amount: u64,
    },
    RequestWithdrawal {
        actor: u8,
        shares: Shares,
    },
    CancelWithdrawal {
        actor: u8,
    },
    CompleteWithdrawal {
        actor: u8,
    },
    ContributePremium {
        actor: u8,
        notional: u64,
    },
    /// Moves the clock forward by `seconds` (and the slot by one).
    Warp {
        seconds: i64,
    },
}

impl Op {
    /// The instruction the operation sends (`"warp"` for a clock move).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Deposit { .. } => "deposit",
            Op::RequestWithdrawal { .. } => "request_withdrawal",
            Op::CancelWithdrawal { .. } => "cancel_withdrawal",
            Op::CompleteWithdrawal { .. } => "complete_withdrawal",
            Op::ContributePremium { .. } => "contribute_premium",
            Op::Warp { .. } => "warp",
        }
    }
}

/// SplitMix64: tiny, deterministic, no dependency; good enough to pick operations.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            // Lemire's multiply-shift: unbiased enough for fuzzing, no division.
            ((self.next_u64() as u128 * n as u128) >> 64) as u64
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A token amount biased to the edges: 0, 1, dust, ordinary, the whole funding and
/// just above it, `u64::MAX`.
fn amount(rng: &mut Rng) -> u64 {
    match rng.below(16) {
        0 => 0,
        1 => 1,
        2 => rng.range(2, 1_000),
        3 => FUNDING,
        4 => FUNDING + 1,
        5 => u64::MAX,
        6..=10 => rng.range(1_000, 1_000_000_000),
        _ => rng.range(1_000_000_000, FUNDING / 100),
    }
}

/// An actor of the wanted role most of the time, anyone otherwise.
fn actor(rng: &mut Rng, underwriter: bool) -> u8 {
    if rng.chance(1, 10) {
        return rng.below(ACTORS as u64) as u8;
    }
    if underwriter {
        rng.below(UNDERWRITERS as u64) as u8
    } else {
        UNDERWRITERS + rng.below((ACTORS - UNDERWRITERS) as u64) as u8
    }
}

/// One random operation.
pub fn random_op(rng: &mut Rng) -> Op {
    match rng.below(100) {
        0..=24 => Op::Deposit {
            actor: actor(rng, true),
            amount: amount(rng),
        },
        25..=39 => Op::RequestWithdrawal {
            actor: actor(rng, true),
            shares: match rng.below(8) {
                0 => Shares::Exact(0),
                1 => Shares::Exact(1),
                2 => Shares::Exact(u128::MAX),
                3 | 4 => Shares::AllFree,
                _ => Shares::Fraction(rng.range(2, 10) as u8),
            },
        },
        40..=44 => Op::CancelWithdrawal {
            actor: actor(rng, true),
        },
        45..=59 => Op::CompleteWithdrawal {
            actor: actor(rng, true),
        },
        60..=84 => Op::ContributePremium {
            actor: actor(rng, false),
            notional: amount(rng),
        },
        // Clock jumps across the fuzz parameters' windows: 1-hour cooldown and claim
        // wait, 1-day withdrawal window and cover term, 2-day deposit lock.
        _ => Op::Warp {
            seconds: rng.pick(&[1, 60, HOUR - 1, HOUR, HOUR + 1, 4 * HOUR, DAY, 2 * DAY]),
        },
    }
}

/// The sequence of `count` operations of `seed`.
pub fn generate(seed: u64, count: usize) -> Vec<Op> {
    let mut rng = Rng::new(seed);
    (0..count).map(|_| random_op(&mut rng)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_makes_the_same_sequence() {
        assert_eq!(generate(7, 500), generate(7, 500));
        assert_ne!(generate(7, 500), generate(8, 500));
    }

    #[test]
    fn every_kind_of_operation_is_generated() {
        let ops = generate(1, 2_000);
        for name in [
            "deposit",
            "request_withdrawal",
            "cancel_withdrawal",
            "complete_withdrawal",
            "contribute_premium",
            "warp",
        ] {
            assert!(ops.iter().any(|op| op.name() == name), "{name} missing");
        }
    }
}
