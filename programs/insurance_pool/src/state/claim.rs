use anchor_lang::prelude::*;

use crate::constants::MAX_URI_LEN;
use crate::math::Shares;

/// Where a claim is in its lifecycle (see the README's state diagram).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimStatus {
    /// Underwriters vote until `voting_ends_at`.
    Voting,
    /// Approved; the amount is reserved; payable after `holdup_ends_at` unless vetoed.
    Approved,
    /// Quorum or approval threshold not met.
    Rejected,
    /// Vetoed by the guardian during the hold-up window.
    Vetoed,
    /// Paid (`paid` of `amount`, the rest recorded as `unpaid`).
    Paid,
    /// Withdrawn by the claimant before any vote.
    Cancelled,
}

/// A member's claim against one pool, PDA `["claim", pool, claimant, id]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Claim {
    pub pool: Pubkey,
    /// Sequential per claimant (`Member::claim_count` at filing).
    pub id: u64,
    pub claimant: Pubkey,
    pub amount: u64,
    pub evidence_hash: [u8; 32],
    #[max_len(MAX_URI_LEN)]
    pub uri: String,
    /// Held in the pool's bond escrow until settled by `withdraw_bond`.
    pub bond: u64,
    pub bond_settled: bool,
    pub status: ClaimStatus,
    pub filed_at: i64,
    pub voting_ends_at: i64,
    /// Set when approved.
    pub holdup_ends_at: i64,
    /// Shares able to vote at filing (seasoned, not pending withdrawal).
    pub eligible_weight: Shares,
    pub yes_weight: Shares,
    pub no_weight: Shares,
    pub voters: u64,
    /// Rejected with the quorum reached and no-votes at or above the pool's fraud
    /// threshold: the bond is slashed.
    pub fraud: bool,
    pub paid: u64,
    /// `amount - paid` when the pool could not pay in full.
    pub unpaid: u64,
    pub bump: u8,
    /// Capital reserved at approval: `min(amount, free capital)`; what will be paid.
    pub reserved: u64,
    /// Expiry of the cover term the claim was filed under (its cover is given back
    /// to that term if the claim fails).
    pub cover_expiry: i64,
    /// Pool-wide sequence number (`Pool::claim_count` at filing; statistics).
    pub number: u64,
}

impl Claim {
    /// Whether the claim still blocks its member from filing another.
    pub fn is_open(&self) -> bool {
        matches!(self.status, ClaimStatus::Voting | ClaimStatus::Approved)
    }
}

/// One underwriter's vote on one claim, PDA `["vote", claim, voter]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct VoteRecord {
    pub claim: Pubkey,
    pub voter: Pubkey,
    pub weight: Shares,
    pub approve: bool,
    pub bump: u8,
}
