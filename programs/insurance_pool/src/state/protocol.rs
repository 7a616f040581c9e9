use anchor_lang::prelude::*;

use crate::constants::pause;
use crate::errors::InsuranceError;

/// Protocol-wide singleton, PDA `["protocol"]` (zero-copy: every instruction reads it).
#[account(zero_copy)]
#[derive(InitSpace, Debug)]
pub struct Protocol {
    /// May create pools, change parameters and unpause.
    pub authority: Pubkey,
    /// Proposed next authority (two-step transfer); `Pubkey::default()` when none.
    pub pending_authority: Pubkey,
    /// May set pause flags (never clear them) and veto claims during their hold-up.
    pub guardian: Pubkey,
    /// Owner of the token accounts that receive the protocol fee (one per mint);
    /// `Pubkey::default()` while no fee is charged.
    pub treasury: Pubkey,
    /// Number of pools created; the next pool's `index`.
    pub pool_count: u64,
    /// Time withdrawals were paused for every pool (stops every pool's exit clock).
    pub withdraw_pause: crate::math::PauseClock,
    /// Share of every premium routed to the treasury (bps, at most 5000).
    pub protocol_fee_bps: u16,
    /// Pause bits (see [`crate::constants::pause`]) applying to every pool.
    pub paused: u8,
    /// Bump of this PDA.
    pub bump: u8,
    /// Keeps the account a multiple of 8 bytes (zero).
    pub reserved: [u8; 4],
}

// Zero-copy: no padding (enforced by `Pod`), so the Borsh size is the in-memory size.
const _: () = assert!(Protocol::INIT_SPACE == std::mem::size_of::<Protocol>());
const _: () = assert!(std::mem::align_of::<Protocol>() <= 8);

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
