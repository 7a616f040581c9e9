//! Anchor events: one for every state change, so indexers never have to diff accounts.

use anchor_lang::prelude::*;

use crate::state::{ClaimStatus, CoverLimit, ExchangeLimits, PoolParams};

/// The protocol singleton was created.
#[event]
pub struct ProtocolInitialized {
    pub authority: Pubkey,
    pub guardian: Pubkey,
}

/// The authority changed the guardian and/or proposed a new authority.
#[event]
pub struct ProtocolUpdated {
    pub guardian: Pubkey,
    /// `Pubkey::default()` when no transfer is pending.
    pub pending_authority: Pubkey,
    pub treasury: Pubkey,
    pub protocol_fee_bps: u16,
}

/// The pending authority accepted the role.
#[event]
pub struct AuthorityTransferred {
    pub previous: Pubkey,
    pub new: Pubkey,
}

/// Pause flags changed, at protocol level (`pool == None`) or for one pool.
#[event]
pub struct PauseFlagsSet {
    pub pool: Option<Pubkey>,
    pub previous: u8,
    pub flags: u8,
    pub signer: Pubkey,
}

/// A market's pool and vault were created.
#[event]
pub struct PoolCreated {
    pub pool: Pubkey,
    pub market: Pubkey,
    pub mint: Pubkey,
    pub vault: Pubkey,
    pub token_program: Pubkey,
    pub params: PoolParams,
}

/// The authority changed a pool's parameters.
#[event]
pub struct PoolParamsUpdated {
    pub pool: Pubkey,
    /// The parameters in force until `effective_at`.
    pub previous: PoolParams,
    /// The parameters that apply from `effective_at` (stored as pending until then).
    pub params: PoolParams,
    pub effective_at: i64,
}

/// A member paid a premium and received (more) coverage.
#[event]
pub struct PremiumContributed {
    pub pool: Pubkey,
    pub owner: Pubkey,
    pub notional: u64,
    /// Rate charged (bps of notional, for a full term).
    pub rate_bps: u64,
    /// Utilisation (bps) after this cover, which set the curve's target rate.
    pub utilisation_bps: u64,
    /// Total paid by the member: `to_pool + protocol_fee`.
    pub premium: u64,
    pub protocol_fee: u64,
    /// The member's covered amount and its expiry after this contribution.
    pub covered_amount: u64,
    pub coverage_expiry: i64,
    pub pool_exposure: u64,
    pub pool_capital: u64,
}

/// An exchange paid the volume fee on a batch of trading volume.
#[event]
pub struct VolumeContributed {
    pub pool: Pubkey,
    pub registration: Pubkey,
    /// Volume reported (base units of the pool's mint).
    pub volume: u64,
    /// Rate charged (bps of volume).
    pub rate_bps: u64,
    /// Total paid: the pool's part (earned over `VOLUME_EARNING_PERIOD`) plus
    /// `protocol_fee`.
    pub fee: u64,
    pub protocol_fee: u64,
    /// The inputs of the rate: the loss index and free capital at the contribution.
    pub loss_index: u64,
    pub free_capital: u64,
    pub pool_capital: u64,
}

/// The authority registered an exchange for a pool.
#[event]
pub struct ExchangeRegistered {
    pub pool: Pubkey,
    pub registration: Pubkey,
    pub exchange_authority: Pubkey,
    pub destination: Pubkey,
    pub limits: ExchangeLimits,
    /// Draws are paid from this unix time on.
    pub active_from: i64,
}

/// The authority changed an exchange's destination or limits.
#[event]
pub struct ExchangeUpdated {
    pub pool: Pubkey,
    pub registration: Pubkey,
    pub destination: Pubkey,
    pub previous: ExchangeLimits,
    pub limits: ExchangeLimits,
    /// When `limits` and `destination` apply (now for a pure decrease).
    pub effective_at: i64,
}

/// The authority deactivated an exchange: it can no longer draw on the pool.
#[event]
pub struct ExchangeDeactivated {
    pub pool: Pubkey,
    pub registration: Pubkey,
}

/// An exchange reported a liquidation shortfall and the pool covered what its limits
/// allowed.
#[event]
pub struct ShortfallCovered {
    pub pool: Pubkey,
    pub registration: Pubkey,
    pub nonce: u64,
    /// Shortfall reported by the exchange.
    pub amount: u64,
    /// Paid to the exchange's destination.
    pub covered: u64,
    /// `amount - covered`: the exchange must socialise it.
    pub uncovered: u64,
    /// Which limit bound the payout (see [`CoverLimit`]).
    pub limited_by: CoverLimit,
    pub epoch_paid: u64,
    pub pool_capital: u64,
}

/// A member filed a claim and posted its bond.
#[event]
pub struct ClaimFiled {
    pub pool: Pubkey,
    pub claim: Pubkey,
    pub id: u64,
    pub claimant: Pubkey,
    pub amount: u64,
    pub bond: u64,
    pub evidence_hash: [u8; 32],
    pub voting_ends_at: i64,
    pub eligible_weight: u128,
}

/// An underwriter voted on a claim.
#[event]
pub struct VoteCast {
    pub pool: Pubkey,
    pub claim: Pubkey,
    pub voter: Pubkey,
    pub weight: u128,
    pub approve: bool,
    pub yes_weight: u128,
    pub no_weight: u128,
}

/// A claim's vote was counted.
#[event]
pub struct ClaimFinalized {
    pub pool: Pubkey,
    pub claim: Pubkey,
    pub status: ClaimStatus,
    pub yes_weight: u128,
    pub no_weight: u128,
    pub eligible_weight: u128,
    pub fraud: bool,
    pub holdup_ends_at: i64,
}

/// The guardian vetoed an approved claim.
#[event]
pub struct ClaimVetoed {
    pub pool: Pubkey,
    pub claim: Pubkey,
    pub guardian: Pubkey,
}

/// An approved claim was paid.
#[event]
pub struct ClaimPaid {
    pub pool: Pubkey,
    pub claim: Pubkey,
    pub claimant: Pubkey,
    pub paid: u64,
    pub unpaid: u64,
    pub pool_capital: u64,
}

/// The claimant withdrew its claim before any vote (exits still wait for it until its
/// voting period ends: [`ClaimReleased`]).
#[event]
pub struct ClaimCancelled {
    pub pool: Pubkey,
    pub claim: Pubkey,
}

/// A cancelled claim's voting period ended and `finalize_claim` released its amount:
/// exits no longer wait for it.
#[event]
pub struct ClaimReleased {
    pub pool: Pubkey,
    pub claim: Pubkey,
    /// The pool's claims still voting after the release.
    pub voting_claims: u64,
}

/// A claim's bond was returned to the claimant or slashed into the pool.
#[event]
pub struct BondSettled {
    pub pool: Pubkey,
    pub claim: Pubkey,
    pub amount: u64,
    pub returned: bool,
}

/// An underwriter deposited and received shares.
#[event]
pub struct Deposited {
    pub pool: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub shares: u128,
    pub pool_capital: u64,
    pub pool_shares: u128,
}

/// An underwriter asked to withdraw shares; the value is fixed as an upper bound.
#[event]
pub struct WithdrawalRequested {
    pub pool: Pubkey,
    pub owner: Pubkey,
    pub shares: u128,
    pub value_at_request: u64,
    /// Earliest unix time it can complete: after the cooldown and the cover in force.
    pub unlock_at: i64,
    /// Last exit-clock time it can complete (the window is fixed at the request).
    pub window_closes_at: i64,
}

/// An underwriter cancelled its pending withdrawal.
#[event]
pub struct WithdrawalCancelled {
    pub pool: Pubkey,
    pub owner: Pubkey,
    pub shares: u128,
}

/// A lapsed withdrawal request no longer counts as leaving (`expire_withdrawal`, anyone
/// may): its shares stay pending until its owner cancels it.
#[event]
pub struct WithdrawalExpired {
    pub pool: Pubkey,
    pub owner: Pubkey,
    pub shares: u128,
}

/// A withdrawal completed after the cooldown.
#[event]
pub struct WithdrawalCompleted {
    pub pool: Pubkey,
    pub owner: Pubkey,
    pub shares: u128,
    pub value_at_request: u64,
    pub value_at_completion: u64,
    /// The value at completion (the shares were full holders until now).
    pub paid: u64,
    pub pool_capital: u64,
    pub pool_shares: u128,
}
