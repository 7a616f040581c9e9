//! Operations as data: a seeded generator makes a `Vec<Op>`, the harness executes it.
//!
//! An operation names markets, exchanges and actors by index, claims by their position
//! from the newest, and amounts either literally or relative to the state when it runs
//! ([`Amount`], [`Shares`]); never anything a previous step created. So any subset of a
//! sequence is itself a valid sequence: a failing run shrinks by replaying subsets on a
//! fresh world, and a shrunk case is stored as JSON (`fuzz/regressions/`).

use serde::{Deserialize, Serialize};

/// Insurance markets (pools): 0 SPL Token 6 decimals, 1 Token-2022 9 decimals, 2 SPL
/// Token 9 decimals.
pub const MARKETS: u8 = 3;
/// Example-exchange markets: exchange 0 insures with pool 0, exchange 1 with pool 1.
pub const EXCHANGES: u8 = 2;
/// Underwriters are actors `0..UNDERWRITERS`, members `UNDERWRITERS..ACTORS`.
pub const UNDERWRITERS: u8 = 8;
pub const ACTORS: u8 = 16;
/// Base units of each mint every actor holds at the start.
pub const FUNDING: u64 = 1_000_000_000_000;

const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// An amount resolved when the operation runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Amount {
    Exact(u64),
    /// The actor's whole balance of the token it pays with, and one more.
    Wallet,
    WalletPlus(u64),
    /// Room below the pool's deposit cap (deposits), offset by `i64`.
    CapRoom(i64),
    /// What the member may still claim (claims), offset by `i64`.
    Claimable(i64),
    /// The most a claim may be under the pool's `max_claim_bps` cap, offset.
    ClaimCap(i64),
    /// Room below the exposure cap (cover), offset.
    ExposureRoom(i64),
}

/// How many shares a withdrawal request names, resolved when it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shares {
    /// Every share of the position not already under a request (and one more).
    AllFree,
    AllFreePlus1,
    /// `free / n` (at least 1).
    Fraction(u8),
    /// A literal count (edges: 0, 1, `u128::MAX`).
    Exact(u128),
}

/// Who signs a governance instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Who {
    /// The protocol's current authority.
    Authority,
    /// The other of the two authority keys (the candidate, or the previous one).
    OtherAuthority,
    Guardian,
    Attacker,
}

/// A premium bound of a purchase, resolved against the model's quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Bound {
    Any,
    /// Exactly the quoted premium (accepted) or one below it (refused).
    Quote,
    QuoteMinus1,
}

/// What the attacker swaps into an instruction's account list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subst {
    /// The same role's account of another market (pool, vault, escrow, exposure,
    /// mint, registration, position: whatever sits in that slot).
    OtherMarket,
    /// The other token program.
    OtherTokenProgram,
    /// Another account of the same instruction (a duplicate).
    Duplicate,
    /// The attacker's own token account or position account for that market.
    Own,
}

/// The instructions the attacker tampers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    Deposit,
    CompleteWithdrawal,
    ContributePremium,
    FileClaim,
    CastVote,
    PayClaim,
    WithdrawBond,
    OpenPosition,
    Liquidate,
}

/// One step of a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Deposit {
        m: u8,
        actor: u8,
        amount: Amount,
    },
    RequestWithdrawal {
        m: u8,
        actor: u8,
        shares: Shares,
    },
    CancelWithdrawal {
        m: u8,
        actor: u8,
    },
    CompleteWithdrawal {
        m: u8,
        actor: u8,
    },
    QuotePremium {
        m: u8,
        actor: u8,
        notional: Amount,
    },
    ContributePremium {
        m: u8,
        actor: u8,
        notional: Amount,
        max_premium: Bound,
        treasury: bool,
    },
    FileClaim {
        m: u8,
        actor: u8,
        amount: Amount,
    },
    /// `claim`: 0 is the market's newest claim, 1 the one before, ...
    CastVote {
        m: u8,
        actor: u8,
        claim: u8,
        approve: bool,
    },
    FinalizeClaim {
        m: u8,
        claim: u8,
    },
    VetoClaim {
        m: u8,
        claim: u8,
        by: Who,
    },
    PayClaim {
        m: u8,
        claim: u8,
    },
    /// By the claimant, or by `by` (another actor: refused).
    CancelClaim {
        m: u8,
        claim: u8,
        by: Option<u8>,
    },
    WithdrawBond {
        m: u8,
        claim: u8,
    },
    SetPoolPause {
        m: u8,
        by: Who,
        flags: u8,
    },
    SetProtocolPause {
        by: Who,
        flags: u8,
    },
    /// `variant` picks a parameter set (see `harness::param_variant`).
    UpdatePoolParams {
        m: u8,
        by: Who,
        variant: u8,
    },
    /// `fee_bps`: None keeps it; `treasury`: None keeps it, Some(true) the treasury key,
    /// Some(false) the default key; `pending`: propose a new authority.
    UpdateProtocol {
        by: Who,
        fee_bps: Option<u16>,
        treasury: Option<bool>,
        pending: Option<Who>,
    },
    AcceptAuthority {
        by: Who,
    },
    RegisterExchange {
        m: u8,
        x: u8,
        by: Who,
    },
    /// `variant` picks limits (see `harness::limits_variant`); `elsewhere` sends cover
    /// to another account than the exchange's collateral vault.
    UpdateExchange {
        x: u8,
        by: Who,
        variant: u8,
        elsewhere: bool,
    },
    DeactivateExchange {
        x: u8,
        by: Who,
    },
    /// The oracle publishes `price · (10 000 + move_bps) / 10 000` observed `age` seconds
    /// ago (`by_oracle: false`: someone else tries).
    SetPrice {
        x: u8,
        move_bps: i16,
        age: i64,
        by_oracle: bool,
    },
    DepositCollateral {
        x: u8,
        actor: u8,
        amount: Amount,
    },
    /// `leverage_pct`: notional as a percentage of the position's collateral times
    /// the market's maximum leverage (100 = exactly at the limit).
    OpenPosition {
        x: u8,
        actor: u8,
        long: bool,
        leverage_pct: u16,
        max_rate: u64,
        treasury: bool,
    },
    Liquidate {
        x: u8,
        actor: u8,
        liquidator: u8,
    },
    /// The attacker sends `target` for market `m` (or exchange `m % 2`) with the
    /// account in slot `slot` (modulo the substitutable slots) replaced.
    Attack {
        m: u8,
        target: Target,
        slot: u8,
        with: Subst,
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
            Op::QuotePremium { .. } => "quote_premium",
            Op::ContributePremium { .. } => "contribute_premium",
            Op::FileClaim { .. } => "file_claim",
            Op::CastVote { .. } => "cast_vote",
            Op::FinalizeClaim { .. } => "finalize_claim",
            Op::VetoClaim { .. } => "veto_claim",
            Op::PayClaim { .. } => "pay_claim",
            Op::CancelClaim { .. } => "cancel_claim",
            Op::WithdrawBond { .. } => "withdraw_bond",
            Op::SetPoolPause { .. } => "set_pool_pause",
            Op::SetProtocolPause { .. } => "set_protocol_pause",
            Op::UpdatePoolParams { .. } => "update_pool_params",
            Op::UpdateProtocol { .. } => "update_protocol",
            Op::AcceptAuthority { .. } => "accept_authority",
            Op::RegisterExchange { .. } => "register_exchange",
            Op::UpdateExchange { .. } => "update_exchange",
            Op::DeactivateExchange { .. } => "deactivate_exchange",
            Op::SetPrice { .. } => "x:set_price",
            Op::DepositCollateral { .. } => "x:deposit_collateral",
            Op::OpenPosition { .. } => "x:open_position (contribute_volume)",
            Op::Liquidate { .. } => "x:liquidate (cover_shortfall)",
            Op::Attack { .. } => "attack (substituted account)",
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
            ((self.next_u64() as u128 * n as u128) >> 64) as u64
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A token amount biased to the edges: 0, 1, dust, ordinary, the whole wallet and just
/// above it, `u64::MAX`.
fn amount(rng: &mut Rng) -> Amount {
    Amount::Exact(match rng.below(16) {
        0 => 0,
        1 => 1,
        2 => rng.range(2, 1_000),
        3 => return Amount::Wallet,
        4 => return Amount::WalletPlus(1),
        5 => u64::MAX,
        6..=10 => rng.range(1_000, 1_000_000_000),
        _ => rng.range(1_000_000_000, FUNDING / 50),
    })
}

fn edge(rng: &mut Rng) -> i64 {
    rng.pick(&[-1, 0, 0, 1, -1_000])
}

fn underwriter(rng: &mut Rng) -> u8 {
    if rng.chance(1, 12) {
        rng.below(ACTORS as u64) as u8
    } else {
        rng.below(UNDERWRITERS as u64) as u8
    }
}

fn member(rng: &mut Rng) -> u8 {
    if rng.chance(1, 12) {
        rng.below(ACTORS as u64) as u8
    } else {
        UNDERWRITERS + rng.below((ACTORS - UNDERWRITERS) as u64) as u8
    }
}

/// Members `UNDERWRITERS..UNDERWRITERS + 4` trade on the exchanges.
fn trader(rng: &mut Rng) -> u8 {
    UNDERWRITERS + rng.below(4) as u8
}

fn who(rng: &mut Rng, usual: Who) -> Who {
    match rng.below(10) {
        0 => Who::Attacker,
        1 => Who::OtherAuthority,
        2 => Who::Guardian,
        3 => Who::Authority,
        _ => usual,
    }
}

fn claim(rng: &mut Rng) -> u8 {
    rng.pick(&[0, 0, 0, 1, 1, 2, 3, 5])
}

fn pause_flags(rng: &mut Rng) -> u8 {
    match rng.below(8) {
        0..=3 => 0,
        4 => 1 << rng.below(5),
        5 => 0x1f,
        6 => rng.below(32) as u8,
        _ => 0x20, // not a flag
    }
}

/// One random operation.
pub fn random_op(rng: &mut Rng) -> Op {
    let m = rng.below(MARKETS as u64) as u8;
    let x = rng.below(EXCHANGES as u64) as u8;
    match rng.below(1000) {
        0..=89 => Op::Deposit {
            m,
            actor: underwriter(rng),
            amount: match rng.below(10) {
                0 => Amount::CapRoom(edge(rng)),
                _ => amount(rng),
            },
        },
        90..=149 => Op::RequestWithdrawal {
            m,
            actor: underwriter(rng),
            shares: match rng.below(9) {
                0 => Shares::Exact(0),
                1 => Shares::Exact(1),
                2 => Shares::Exact(u128::MAX),
                3 => Shares::AllFreePlus1,
                4 | 5 => Shares::AllFree,
                _ => Shares::Fraction(rng.range(2, 10) as u8),
            },
        },
        150..=169 => Op::CancelWithdrawal {
            m,
            actor: underwriter(rng),
        },
        170..=229 => Op::CompleteWithdrawal {
            m,
            actor: underwriter(rng),
        },
        230..=244 => Op::QuotePremium {
            m,
            actor: member(rng),
            notional: amount(rng),
        },
        245..=339 => Op::ContributePremium {
            m,
            actor: member(rng),
            notional: match rng.below(8) {
                0 => Amount::ExposureRoom(edge(rng)),
                _ => amount(rng),
            },
            max_premium: rng.pick(&[
                Bound::Any,
                Bound::Any,
                Bound::Any,
                Bound::Quote,
                Bound::QuoteMinus1,
            ]),
            treasury: rng.chance(1, 2),
        },
        340..=399 => Op::FileClaim {
            m,
            actor: member(rng),
            amount: match rng.below(6) {
                0 => amount(rng),
                1 => Amount::ClaimCap(edge(rng)),
                2 => Amount::Claimable(edge(rng)),
                _ => Amount::Claimable(-(rng.range(0, FUNDING / 1_000) as i64)),
            },
        },
        400..=499 => Op::CastVote {
            m,
            actor: underwriter(rng),
            claim: claim(rng),
            approve: rng.chance(2, 3),
        },
        500..=539 => Op::FinalizeClaim {
            m,
            claim: claim(rng),
        },
        540..=549 => Op::VetoClaim {
            m,
            claim: claim(rng),
            by: who(rng, Who::Guardian),
        },
        550..=579 => Op::PayClaim {
            m,
            claim: claim(rng),
        },
        580..=589 => Op::CancelClaim {
            m,
            claim: claim(rng),
            by: rng.chance(1, 4).then(|| rng.below(ACTORS as u64) as u8),
        },
        590..=619 => Op::WithdrawBond {
            m,
            claim: claim(rng),
        },
        620..=629 => Op::SetPoolPause {
            m,
            by: who(rng, Who::Authority),
            flags: pause_flags(rng),
        },
        630..=633 => Op::SetProtocolPause {
            by: who(rng, Who::Authority),
            flags: pause_flags(rng),
        },
        634..=643 => Op::UpdatePoolParams {
            m,
            by: who(rng, Who::Authority),
            variant: rng.below(8) as u8,
        },
        644..=648 => Op::UpdateProtocol {
            by: who(rng, Who::Authority),
            fee_bps: rng
                .chance(1, 2)
                .then(|| rng.pick(&[0, 0, 100, 5_000, 5_001])),
            treasury: rng.chance(1, 2).then(|| rng.chance(4, 5)),
            pending: rng.chance(1, 3).then(|| who(rng, Who::OtherAuthority)),
        },
        649..=651 => Op::AcceptAuthority {
            by: who(rng, Who::OtherAuthority),
        },
        652..=654 => Op::RegisterExchange {
            m,
            x,
            by: who(rng, Who::Authority),
        },
        655..=661 => Op::UpdateExchange {
            x,
            by: who(rng, Who::Authority),
            variant: rng.below(6) as u8,
            elsewhere: rng.chance(1, 8),
        },
        662..=663 => Op::DeactivateExchange {
            x,
            by: who(rng, Who::Authority),
        },
        664..=724 => Op::SetPrice {
            x,
            move_bps: rng.pick(&[
                -2_000, -1_000, -600, -300, -100, 0, 100, 300, 600, 1_000, 2_000,
            ]),
            age: rng.pick(&[0, 0, 0, 1, 30, 59, 60, 61]),
            by_oracle: !rng.chance(1, 20),
        },
        725..=764 => Op::DepositCollateral {
            x,
            actor: trader(rng),
            amount: match rng.below(6) {
                0 => amount(rng),
                _ => Amount::Exact(rng.range(1_000_000, FUNDING / 100)),
            },
        },
        765..=814 => Op::OpenPosition {
            x,
            actor: trader(rng),
            long: rng.chance(1, 2),
            leverage_pct: rng.pick(&[0, 10, 50, 90, 99, 100, 101, 200]),
            max_rate: rng.pick(&[0, 1, 2, 5, 50, u64::MAX, u64::MAX]),
            treasury: rng.chance(1, 2),
        },
        815..=869 => Op::Liquidate {
            x,
            actor: trader(rng),
            liquidator: rng.below(ACTORS as u64) as u8,
        },
        870..=909 => Op::Attack {
            m,
            target: rng.pick(&[
                Target::Deposit,
                Target::CompleteWithdrawal,
                Target::ContributePremium,
                Target::FileClaim,
                Target::CastVote,
                Target::PayClaim,
                Target::WithdrawBond,
                Target::OpenPosition,
                Target::Liquidate,
            ]),
            slot: rng.below(16) as u8,
            with: rng.pick(&[
                Subst::OtherMarket,
                Subst::OtherMarket,
                Subst::OtherTokenProgram,
                Subst::Duplicate,
                Subst::Own,
            ]),
        },
        // Clock jumps around every window of the fuzz parameters: price age (60 s),
        // cooldown, claim wait, cancel window and hold-up (1 h), withdrawal window,
        // cover term, voting and stake age (1 day), deposit lock (2 days), the volume
        // earning period (7 days), registration activation (~4 days), cover expiry.
        _ => Op::Warp {
            seconds: rng.pick(&[
                1,
                MINUTE - 1,
                MINUTE,
                MINUTE + 1,
                HOUR - 1,
                HOUR,
                HOUR + 1,
                4 * HOUR,
                DAY - 1,
                DAY,
                DAY + 1,
                2 * DAY,
                4 * DAY,
                7 * DAY,
            ]),
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
        let ops = generate(1, 5_000);
        let mut names: Vec<_> = ops.iter().map(|o| o.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 27, "{names:?}");
    }

    #[test]
    fn operations_round_trip_through_json() {
        let ops = generate(3, 300);
        let text = serde_json::to_string(&ops).unwrap();
        let back: Vec<Op> = serde_json::from_str(&text).unwrap();
        assert_eq!(ops, back);
    }
}
