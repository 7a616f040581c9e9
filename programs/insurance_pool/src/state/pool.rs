use anchor_lang::prelude::*;

use crate::constants::{MAX_WITHDRAWAL_COOLDOWN, MIN_WITHDRAWAL_COOLDOWN};
use crate::errors::InsuranceError;
use crate::math::{shares_for_deposit, value_of_shares};

/// Governance-set parameters of one pool. Every field is range-checked by
/// [`PoolParams::validate`] on `create_pool` and `update_pool_params`.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolParams {
    /// Seconds between `request_withdrawal` and the earliest `complete_withdrawal`,
    /// in `[MIN_WITHDRAWAL_COOLDOWN, MAX_WITHDRAWAL_COOLDOWN]`.
    pub withdrawal_cooldown: i64,
    /// Largest accounted capital a deposit may bring the pool to (base units, > 0).
    pub deposit_cap: u64,
    /// Smallest accepted deposit (base units, in `[1, deposit_cap]`).
    pub min_deposit: u64,
}

impl PoolParams {
    /// Refuses any parameter outside its documented range, each with its own error.
    pub fn validate(&self) -> Result<()> {
        require!(
            (MIN_WITHDRAWAL_COOLDOWN..=MAX_WITHDRAWAL_COOLDOWN).contains(&self.withdrawal_cooldown),
            InsuranceError::InvalidCooldown
        );
        require!(self.deposit_cap > 0, InsuranceError::InvalidDepositCap);
        require!(
            self.min_deposit >= 1 && self.min_deposit <= self.deposit_cap,
            InsuranceError::InvalidMinDeposit
        );
        Ok(())
    }
}

/// One market's isolated insurance pool, PDA `["pool", market]`.
///
/// Invariant (conservation): the vault's token balance equals `capital`. Tokens sent to
/// the vault outside the program are not capital and do not change the share price.
#[account]
#[derive(InitSpace, Debug)]
pub struct Pool {
    /// The market this pool insures (any identifier the venue chooses, usually its
    /// market account).
    pub market: Pubkey,
    /// The token the pool is denominated in.
    pub mint: Pubkey,
    /// The pool's vault token account, PDA `["vault", pool]`, owned by this pool.
    pub vault: Pubkey,
    /// SPL Token or Token-2022, whichever owns `mint`.
    pub token_program: Pubkey,
    /// Decimals of `mint`, used for `transfer_checked`.
    pub mint_decimals: u8,
    /// Sequential pool number (`Protocol::pool_count` at creation).
    pub index: u64,
    /// Accounted capital: deposits - withdrawals (later: + premiums - payouts).
    pub capital: u64,
    /// Shares outstanding, including shares under a withdrawal request.
    pub total_shares: u64,
    /// Shares currently under a withdrawal request.
    pub pending_withdrawal_shares: u64,
    /// Lifetime sum of deposits (statistics).
    pub total_deposited: u64,
    /// Lifetime sum of withdrawals paid (statistics).
    pub total_withdrawn: u64,
    /// Pause bits for this pool only (see [`crate::constants::pause`]).
    pub paused: u8,
    /// Governance-set parameters.
    pub params: PoolParams,
    /// Unix time of creation.
    pub created_at: i64,
    /// Bump of this PDA.
    pub bump: u8,
    /// Bump of the vault PDA.
    pub vault_bump: u8,
}

impl Pool {
    /// Whether `flag` is paused for this pool, at pool or protocol level.
    pub fn is_paused(&self, protocol_paused: u8, flag: u8) -> bool {
        (self.paused | protocol_paused) & flag != 0
    }

    /// Shares minted for a deposit of `amount` at the current price (rounded down).
    pub fn shares_for(&self, amount: u64) -> Result<u64> {
        shares_for_deposit(amount, self.capital, self.total_shares)
    }

    /// Current value of `shares` (rounded down).
    pub fn value_of(&self, shares: u64) -> Result<u64> {
        value_of_shares(shares, self.capital, self.total_shares)
    }
}
