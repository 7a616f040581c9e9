use anchor_lang::prelude::*;

use crate::constants::pause;
use crate::errors::InsuranceError;

/// Protocol-wide singleton, PDA `["protocol"]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Protocol {
    /// May create pools, change parameters and unpause.
    pub authority: Pubkey,
    /// Proposed next authority (two-step transfer); `Pubkey::default()` when none.
    pub pending_authority: Pubkey,
    /// May set pause flags (never clear them) and veto claims during their hold-up.
    pub guardian: Pubkey,
    /// Pause bits (see [`crate::constants::pause`]) applying to every pool.
    pub paused: u8,
    /// Owner of the token accounts that receive the protocol fee (one per mint);
    /// `Pubkey::default()` while no fee is charged.
    pub treasury: Pubkey,
    /// Share of every premium routed to the treasury (bps, at most 5000).
    pub protocol_fee_bps: u16,
    /// Number of pools created; the next pool's `index`.
    pub pool_count: u64,
    /// Bump of this PDA.
    pub bump: u8,
    /// Time withdrawals were paused for every pool (stops every pool's exit clock).
    pub withdraw_pause: crate::math::PauseClock,
}

impl Protocol {
    /// Whether `signer` may set pause flags (authority or guardian).
    pub fn can_pause(&self, signer: &Pubkey) -> bool {
        *signer == self.authority || *signer == self.guardian
    }

    /// Checks that `signer` may move the pause flags from `current` to `new`: defined
    /// bits only; the authority may do anything, the guardian may only add bits.
    pub fn check_pause_change(&self, signer: &Pubkey, current: u8, new: u8) -> Result<()> {
        require!(new & !pause::ALL == 0, InsuranceError::InvalidPauseFlags);
        require!(
            self.can_pause(signer),
            InsuranceError::NotAuthorityOrGuardian
        );
        if *signer != self.authority {
            require!(
                new & current == current,
                InsuranceError::GuardianCannotUnpause
            );
        }
        Ok(())
    }
}
