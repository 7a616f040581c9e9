//! Operations as data: a seeded generator makes a `Vec<Op>`, the harness executes it.
//!
//! An operation names markets, exchanges and actors by index, claims by their position
//! from the newest, and amounts either literally or relative to the state when it runs
//! ([`Amount`], [`Shares`]); never anything a previous step created. So any subset of a
//! sequence is itself a valid sequence: a failing run shrinks by replaying subsets on a
//! fresh world, and a shrunk case is stored as JSON (`fuzz/regressions/`).

use serde::{Deserialize, Serialize};

/// Insurance markets (pools): 0 SPL Token 6 decimals, 1 Token-2022 9 decimals, 2 SPL
/// Token 9 decimals, 3 a second market on market 0's mint.
pub const MARKETS: u8 = 4;
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
    /// What the member may still claim, divided by `n` (at least 1).
    ClaimableDiv(u8),
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

/// The actor of a step: by index, or the `n`-th (cyclically) of the actors the step
/// makes sense for when it runs (an underwriter with a pending withdrawal, a member
/// with cover, a trader with collateral or an open position, ...), so that follow-up
/// steps find their subject however the sequence was shrunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActorRef {
    I(u8),
    Nth(u8),
}

/// A claim of the step's market: the `k`-th from the newest, or the `n`-th
/// (cyclically, newest first) of those the step makes sense for when it runs (voting
/// for a vote, approved for a payout, closed with its bond held for a settlement).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimRef {
    Back(u8),
    Nth(u8),
}

/// A slippage bound at an edge: none, exactly the quoted value (accepted), or one
/// past it (refused: `SlippageExceeded`, `CoverageEndsTooSoon`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Edge {
    Zero,
    At,
    Above,
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
        min_shares: Edge,
    },
    RequestWithdrawal {
        m: u8,
        actor: ActorRef,
        shares: Shares,
    },
    CancelWithdrawal {
        m: u8,
        actor: ActorRef,
    },
    /// `expire_withdrawal` of an actor's request, sent by the payer (anyone).
    ExpireWithdrawal {
        m: u8,
        actor: ActorRef,
    },
    CompleteWithdrawal {
        m: u8,
        actor: ActorRef,
    },
    QuotePremium {
        m: u8,
        actor: u8,
        notional: Amount,
    },
    /// The `quote_volume` view on exchange `x`'s pool.
    QuoteVolume {
        x: u8,
        volume: Amount,
    },
    ContributePremium {
        m: u8,
        actor: u8,
        notional: Amount,
        max_premium: Bound,
        treasury: bool,
        min_expiry: Edge,
    },
    FileClaim {
        m: u8,
        actor: ActorRef,
        amount: Amount,
        /// Length of the evidence URI (the limit is 200).
        uri_len: u8,
    },
    /// `claim`: 0 is the market's newest claim, 1 the one before, ...
    CastVote {
        m: u8,
        actor: ActorRef,
        claim: ClaimRef,
        approve: bool,
    },
    FinalizeClaim {
        m: u8,
        claim: ClaimRef,
    },
    VetoClaim {
        m: u8,
        claim: ClaimRef,
        by: Who,
    },
    PayClaim {
        m: u8,
        claim: ClaimRef,
    },
    /// By the claimant, or by `by` (another actor: refused).
    CancelClaim {
        m: u8,
        claim: ClaimRef,
        by: Option<u8>,
    },
    WithdrawBond {
        m: u8,
        claim: ClaimRef,
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
        actor: ActorRef,
        amount: Amount,
    },
    /// `leverage_pct`: notional as a percentage of the position's collateral times
    /// the market's maximum leverage (100 = exactly at the limit).
    /// `fresh`: the oracle republishes the price in the same transaction first.
    OpenPosition {
        x: u8,
        actor: ActorRef,
        long: bool,
        leverage_pct: u16,
        max_rate: u64,
        treasury: bool,
        fresh: bool,
    },
    /// `reprice`: the oracle first publishes, in the same transaction (as a keeper
    /// bundles an oracle update with a liquidation), the price at which the position's
    /// equity is that many bps of its notional (maintenance is 500; below 0 is bad
    /// debt the pool is asked to cover).
    Liquidate {
        x: u8,
        actor: ActorRef,
        liquidator: u8,
        reprice: Option<i16>,
    },
    /// `actor` (an ordinary participant turned attacker) sends `target` for market `m`
    /// (or exchange `m % 2`) with the account in slot `slot` (modulo the
    /// substitutable slots) replaced.
    Attack {
        m: u8,
        actor: ActorRef,
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
            Op::ExpireWithdrawal { .. } => "expire_withdrawal",
            Op::CompleteWithdrawal { .. } => "complete_withdrawal",
            Op::QuotePremium { .. } => "quote_premium",
            Op::QuoteVolume { .. } => "quote_volume",
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

/// Members trade on the exchanges.
fn trader(rng: &mut Rng) -> u8 {
    UNDERWRITERS + rng.below((ACTORS - UNDERWRITERS) as u64) as u8
}

/// Mostly the `n`-th actor the step makes sense for, sometimes anyone of the role.
fn subject(rng: &mut Rng, role: fn(&mut Rng) -> u8) -> ActorRef {
    if rng.chance(3, 4) {
        ActorRef::Nth(rng.below(ACTORS as u64) as u8)
    } else {
        ActorRef::I(role(rng))
    }
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

fn claim(rng: &mut Rng) -> ClaimRef {
    if rng.chance(3, 4) {
        ClaimRef::Nth(rng.pick(&[0, 0, 0, 1, 1, 2, 3, 5]))
    } else {
        ClaimRef::Back(rng.pick(&[0, 0, 1, 2, 5]))
    }
}

/// Pause flags: mostly none (an unpause), else one flag, all, any mix, or a bit that
/// is not a flag (pauses last until the authority lifts them: keep them rare).
fn pause_flags(rng: &mut Rng) -> u8 {
    match rng.below(16) {
        0..=10 => 0,
        11 | 12 => 1 << rng.below(5),
        13 => 0x1f,
        14 => rng.below(32) as u8,
        _ => 0x20,
    }
}

/// A clock move: mostly within the short windows (seconds to an hour: the price age,
/// cooldown, claim wait, cancel window and hold-up), sometimes just around a day (the
/// withdrawal window, cover term, vote and stake age) or longer (the deposit lock, the
/// volume earning period, the registrations' activation delay, cover expiry).
fn warp(rng: &mut Rng) -> i64 {
    match rng.below(20) {
        0..=12 => rng.pick(&[1, 10, MINUTE - 1, MINUTE, MINUTE + 1, 5 * MINUTE]),
        13..=18 => rng.pick(&[HOUR / 4, HOUR - 1, HOUR, HOUR + 1, 2 * HOUR]),
        _ => rng.pick(&[DAY / 2, DAY - 1, DAY, DAY + 1, 2 * DAY, 4 * DAY, 7 * DAY]),
    }
}

/// One random operation (weights per mille).
pub fn random_op(rng: &mut Rng) -> Op {
    let m = rng.below(MARKETS as u64) as u8;
    let x = rng.below(EXCHANGES as u64) as u8;
    match rng.below(1000) {
        0..=79 => Op::Deposit {
            m,
            actor: underwriter(rng),
            amount: match rng.below(10) {
                0 => Amount::CapRoom(edge(rng)),
                _ => amount(rng),
            },
            min_shares: rng.pick(&[Edge::Zero, Edge::Zero, Edge::Zero, Edge::At, Edge::Above]),
        },
        80..=129 => Op::RequestWithdrawal {
            m,
            actor: subject(rng, underwriter),
            shares: match rng.below(9) {
                0 => Shares::Exact(0),
                1 => Shares::Exact(1),
                2 => Shares::Exact(u128::MAX),
                3 => Shares::AllFreePlus1,
                4 | 5 => Shares::AllFree,
                _ => Shares::Fraction(rng.range(2, 10) as u8),
            },
        },
        130..=139 => Op::CancelWithdrawal {
            m,
            actor: subject(rng, underwriter),
        },
        140..=144 => Op::ExpireWithdrawal {
            m,
            actor: subject(rng, underwriter),
        },
        145..=194 => Op::CompleteWithdrawal {
            m,
            actor: subject(rng, underwriter),
        },
        195..=204 => Op::QuotePremium {
            m,
            actor: member(rng),
            notional: amount(rng),
        },
        205..=209 => Op::QuoteVolume {
            x,
            volume: amount(rng),
        },
        210..=319 => Op::ContributePremium {
            m,
            actor: member(rng),
            notional: match rng.below(8) {
                0 => Amount::ExposureRoom(edge(rng)),
                1 => amount(rng),
                _ => Amount::Exact(rng.range(1_000_000, FUNDING / 20)),
            },
            max_premium: rng.pick(&[
                Bound::Any,
                Bound::Any,
                Bound::Any,
                Bound::Quote,
                Bound::QuoteMinus1,
            ]),
            treasury: !rng.chance(1, 8),
            min_expiry: rng.pick(&[Edge::Zero, Edge::Zero, Edge::Zero, Edge::At, Edge::Above]),
        },
        320..=359 => Op::FileClaim {
            m,
            actor: subject(rng, member),
            amount: match rng.below(8) {
                0 => amount(rng),
                1 => Amount::ClaimCap(edge(rng)),
                2 => Amount::Claimable(edge(rng)),
                _ => Amount::ClaimableDiv(rng.pick(&[1, 1, 2, 3, 10])),
            },
            uri_len: rng.pick(&[0, 0, 0, 32, 200, 201]),
        },
        360..=459 => Op::CastVote {
            m,
            actor: subject(rng, underwriter),
            claim: claim(rng),
            approve: rng.chance(2, 3),
        },
        460..=529 => Op::FinalizeClaim {
            m,
            claim: claim(rng),
        },
        530..=539 => Op::VetoClaim {
            m,
            claim: claim(rng),
            by: who(rng, Who::Guardian),
        },
        540..=569 => Op::PayClaim {
            m,
            claim: claim(rng),
        },
        570..=579 => Op::CancelClaim {
            m,
            claim: claim(rng),
            by: rng.chance(1, 4).then(|| rng.below(ACTORS as u64) as u8),
        },
        580..=604 => Op::WithdrawBond {
            m,
            claim: claim(rng),
        },
        605..=611 => Op::SetPoolPause {
            m,
            by: who(rng, Who::Authority),
            flags: pause_flags(rng),
        },
        612..=613 => Op::SetProtocolPause {
            by: who(rng, Who::Authority),
            flags: pause_flags(rng),
        },
        614..=621 => Op::UpdatePoolParams {
            m,
            by: who(rng, Who::Authority),
            variant: rng.below(10) as u8,
        },
        622..=625 => Op::UpdateProtocol {
            by: who(rng, Who::Authority),
            fee_bps: rng
                .chance(1, 2)
                .then(|| rng.pick(&[0, 0, 100, 5_000, 5_001])),
            treasury: rng.chance(1, 2).then(|| rng.chance(4, 5)),
            pending: rng.chance(1, 3).then(|| who(rng, Who::OtherAuthority)),
        },
        626..=628 => Op::AcceptAuthority {
            by: who(rng, Who::OtherAuthority),
        },
        629..=630 => Op::RegisterExchange {
            m,
            x,
            by: who(rng, Who::Authority),
        },
        631..=636 => Op::UpdateExchange {
            x,
            by: who(rng, Who::Authority),
            variant: rng.below(7) as u8,
            elsewhere: rng.chance(1, 10),
        },
        637 => Op::DeactivateExchange {
            x,
            by: who(rng, Who::Authority),
        },
        638..=677 => Op::SetPrice {
            x,
            move_bps: rng.pick(&[
                -2_000, -1_000, -600, -300, -100, 0, 100, 300, 600, 1_000, 2_000,
            ]),
            age: rng.pick(&[0, 0, 0, 1, 30, 59, 60, 61]),
            by_oracle: !rng.chance(1, 20),
        },
        678..=717 => Op::DepositCollateral {
            x,
            actor: subject(rng, trader),
            amount: match rng.below(6) {
                0 => amount(rng),
                // Collateral only flows in (the example exchange has no withdrawal):
                // amounts that last a million operations.
                _ => Amount::Exact(rng.range(1_000_000, FUNDING / 10_000)),
            },
        },
        718..=767 => Op::OpenPosition {
            x,
            actor: subject(rng, trader),
            long: rng.chance(1, 2),
            // Not below 5x: at 1x or less a position can never be liquidated (its
            // equity stays above maintenance at any price), and it would stay open.
            leverage_pct: rng.pick(&[0, 50, 90, 99, 100, 100, 101, 200]),
            max_rate: rng.pick(&[0, 1, 2, 5, 50, u64::MAX, u64::MAX, u64::MAX]),
            treasury: !rng.chance(1, 8),
            fresh: !rng.chance(1, 6),
        },
        768..=829 => Op::Liquidate {
            x,
            actor: subject(rng, trader),
            liquidator: rng.below(ACTORS as u64) as u8,
            reprice: (!rng.chance(1, 6))
                .then(|| rng.pick(&[-5_000, -1_000, -100, -1, 0, 100, 499, 500, 501, 1_000])),
        },
        830..=899 => Op::Attack {
            m,
            actor: ActorRef::Nth(rng.below(ACTORS as u64) as u8),
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
        _ => Op::Warp { seconds: warp(rng) },
    }
}

/// The sequence of `count` operations of `seed`: random operations, and one time in
/// [`BURST_ODDS`] an attacker's burst ([`attack_burst`]).
pub fn generate(seed: u64, count: usize) -> Vec<Op> {
    let mut rng = Rng::new(seed);
    let mut ops = Vec::with_capacity(count + 32);
    while ops.len() < count {
        if rng.chance(1, BURST_ODDS) {
            ops.extend(attack_burst(&mut rng));
        } else {
            ops.push(random_op(&mut rng));
        }
    }
    ops.truncate(count);
    ops
}

/// One step in this many starts an attacker's burst.
pub const BURST_ODDS: u64 = 40;

/// What review 3's attackers did, as steps at one clock (no warp inside a burst: the
/// harness sends them as consecutive transactions of one slot, which is what one
/// transaction or one block of them does to the state, atomicity aside):
/// - the same instruction **repeated** 2-30 times (a completion during a vote, a
///   purchase, a claim);
/// - **exit, buy, deposit back** (an underwriter completes, a member buys a little
///   cover at the momentary price, the underwriter deposits again);
/// - **claims filed back to back** by several members;
/// - **every exit attempted during a vote** (a claim filed, then every underwriter's
///   completion).
pub fn attack_burst(rng: &mut Rng) -> Vec<Op> {
    let m = rng.below(MARKETS as u64) as u8;
    let file = |rng: &mut Rng, k: u8| Op::FileClaim {
        m,
        actor: ActorRef::Nth(k),
        amount: Amount::ClaimableDiv(rng.pick(&[1, 2, 10])),
        uri_len: 0,
    };
    match rng.below(4) {
        0 => {
            let op = loop {
                let op = random_op(rng);
                if !matches!(op, Op::Warp { .. }) {
                    break op;
                }
            };
            vec![op; rng.range(2, 30) as usize]
        }
        1 => {
            let leaver = rng.below(UNDERWRITERS as u64) as u8;
            vec![
                Op::CompleteWithdrawal {
                    m,
                    actor: ActorRef::I(leaver),
                },
                Op::ContributePremium {
                    m,
                    actor: trader(rng),
                    notional: Amount::Exact(rng.range(1, 1_000)),
                    max_premium: Bound::Any,
                    treasury: true,
                    min_expiry: Edge::Zero,
                },
                Op::Deposit {
                    m,
                    actor: leaver,
                    amount: Amount::Exact(rng.range(1_000_000_000, FUNDING / 50)),
                    min_shares: Edge::Zero,
                },
            ]
        }
        2 => (0..rng.range(2, 5) as u8).map(|k| file(rng, k)).collect(),
        _ => {
            let mut ops = vec![file(rng, 0)];
            ops.extend((0..UNDERWRITERS).map(|u| Op::CompleteWithdrawal {
                m,
                actor: ActorRef::I(u),
            }));
            ops
        }
    }
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
        assert_eq!(names.len(), 29, "{names:?}");
    }

    #[test]
    fn attack_bursts_are_generated_and_keep_the_clock() {
        let mut rng = Rng::new(5);
        for _ in 0..200 {
            let burst = attack_burst(&mut rng);
            assert!(burst.len() >= 2);
            assert!(burst.iter().all(|o| !matches!(o, Op::Warp { .. })));
        }
        // A CI smoke of 20 000 operations holds a few hundred bursts.
        let ops = generate(1, 20_000);
        let repeats = ops
            .windows(5)
            .filter(|w| w.iter().all(|o| *o == w[0]))
            .count();
        assert!(repeats > 20, "{repeats} runs of five identical steps");
    }

    #[test]
    fn operations_round_trip_through_json() {
        let ops = generate(3, 300);
        let text = serde_json::to_string(&ops).unwrap();
        let back: Vec<Op> = serde_json::from_str(&text).unwrap();
        assert_eq!(ops, back);
    }
}
