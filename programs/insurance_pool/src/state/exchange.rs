use anchor_lang::prelude::*;

/// Governance-set limits of one exchange's draws on one pool.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExchangeLimits {
    /// Most one `cover_shortfall` pays (base units, > 0).
    pub per_event_cap: u64,
    /// Most all `cover_shortfall`s of one epoch pay together (>= `per_event_cap`).
    pub per_epoch_cap: u64,
    /// Epoch length in seconds (`[MIN_EPOCH_LENGTH, MAX_EPOCH_LENGTH]`).
    pub epoch_length: i64,
}

impl ExchangeLimits {
    /// Refuses limits outside their documented ranges.
    pub fn validate(&self) -> Result<()> {
        require!(
            self.per_event_cap > 0 && self.per_event_cap <= self.per_epoch_cap,
            crate::errors::InsuranceError::InvalidExchangeCaps
        );
        require!(
            (crate::constants::MIN_EPOCH_LENGTH..=crate::constants::MAX_EPOCH_LENGTH)
                .contains(&self.epoch_length),
            crate::errors::InsuranceError::InvalidEpochLength
        );
        Ok(())
    }
}

/// An exchange allowed to draw on one pool, PDA `["exchange", pool, exchange_authority]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct ExchangeRegistration {
    pub pool: Pubkey,
    /// Must sign `cover_shortfall` (a PDA of the exchange program, signing by CPI).
    pub exchange_authority: Pubkey,
    /// The only token account payouts go to (the pool's mint).
    pub destination: Pubkey,
    pub limits: ExchangeLimits,
    /// Start of the current epoch (unix time; epochs are aligned to registration).
    pub epoch_start: i64,
    /// Paid so far in the current epoch.
    pub epoch_paid: u64,
    /// The nonce the next `cover_shortfall` must carry.
    pub next_nonce: u64,
    /// Lifetime shortfalls reported and amounts covered (statistics).
    pub total_reported: u64,
    pub total_covered: u64,
    pub active: bool,
    pub bump: u8,
}

/// The binding limit of a shortfall payout.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoverLimit {
    /// Paid in full.
    None,
    /// `per_event_cap`.
    PerEvent,
    /// Room left in the epoch.
    PerEpoch,
    /// Capital above the solvency floor.
    SolvencyFloor,
}
