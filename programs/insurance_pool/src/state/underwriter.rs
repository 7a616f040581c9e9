use anchor_lang::prelude::*;

use crate::math::{PodShares, Shares, YoungShares};

/// One owner's position in one pool, PDA `["underwriter", pool, owner]` (zero-copy).
/// Shares are not transferable: they live only here.
#[account(zero_copy)]
#[derive(InitSpace, Debug)]
pub struct Underwriter {
    pub pool: Pubkey,
    pub owner: Pubkey,
    /// All shares held, including `pending_shares`.
    pub shares: PodShares,
    /// Shares under a withdrawal request (0 when none). They keep bearing losses.
    pub pending_shares: PodShares,
    /// Value of `pending_shares` when requested: the most the withdrawal can pay.
    pub pending_value: u64,
    /// Unix time the pending request was made.
    pub requested_at: i64,
    /// Earliest unix time `complete_withdrawal` is accepted.
    pub unlock_at: i64,
    /// Unix time of the last deposit (the deposit lock runs from it).
    pub last_deposit_at: i64,
    /// `complete_withdrawal` is refused before this time: the end of the hold-up of
    /// the latest claim this underwriter voted on (by then the claim is settled:
    /// rejected, vetoed, or approved and netted out of every exit).
    pub vote_locked_until: i64,
    /// Sum of deposits (statistics).
    pub total_deposited: u64,
    /// Sum of withdrawals paid (statistics).
    pub total_withdrawn: u64,
    /// Unix time shares were last staked (deposit or cancelled withdrawal): a claim
    /// filed at or before it gets no vote from this position.
    pub last_stake_at: i64,
    /// Shares staked in the last two stake periods (not yet able to vote).
    pub young_shares: YoungShares,
    pub bump: u8,
    /// Keeps the account a multiple of 8 bytes (zero).
    pub reserved: [u8; 7],
}

// Zero-copy: no padding (enforced by `Pod`), so the Borsh size is the in-memory size.
const _: () = assert!(Underwriter::INIT_SPACE == std::mem::size_of::<Underwriter>());
const _: () = assert!(std::mem::align_of::<Underwriter>() <= 8);

impl Underwriter {
    /// Shares not under a withdrawal request.
    pub fn free_shares(&self) -> Shares {
        self.shares.get().saturating_sub(self.pending_shares.get())
    }

    /// Weight this position may cast on a claim filed in stake period `period`: its
    /// shares neither pending withdrawal nor young at the filing.
    pub fn vote_weight(&self, period: i64) -> Shares {
        self.free_shares()
            .saturating_sub(self.young_shares.young_at(period))
    }

    /// Whether a withdrawal request is pending.
    pub fn has_pending_withdrawal(&self) -> bool {
        self.pending_shares.get() > 0
    }
}
