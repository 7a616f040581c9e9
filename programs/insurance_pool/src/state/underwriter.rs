use anchor_lang::prelude::*;

/// One owner's position in one pool, PDA `["underwriter", pool, owner]`.
/// Shares are not transferable: they live only here.
#[account]
#[derive(InitSpace, Debug)]
pub struct Underwriter {
    pub pool: Pubkey,
    pub owner: Pubkey,
    /// All shares held, including `pending_shares`.
    pub shares: u64,
    /// Shares under a withdrawal request (0 when none). They keep bearing losses.
    pub pending_shares: u64,
    /// Value of `pending_shares` when requested: the most the withdrawal can pay.
    pub pending_value: u64,
    /// Unix time the pending request was made.
    pub requested_at: i64,
    /// Earliest unix time `complete_withdrawal` is accepted.
    pub unlock_at: i64,
    /// Unix time of the last deposit (claim votes only count older shares).
    pub last_deposit_at: i64,
    /// `complete_withdrawal` is refused before this time: the end of the latest voting
    /// period this underwriter voted in.
    pub vote_locked_until: i64,
    /// Sum of deposits (statistics).
    pub total_deposited: u64,
    /// Sum of withdrawals paid (statistics).
    pub total_withdrawn: u64,
    pub bump: u8,
}

impl Underwriter {
    /// Shares not under a withdrawal request.
    pub fn free_shares(&self) -> u64 {
        self.shares.saturating_sub(self.pending_shares)
    }

    /// Whether a withdrawal request is pending.
    pub fn has_pending_withdrawal(&self) -> bool {
        self.pending_shares > 0
    }
}
