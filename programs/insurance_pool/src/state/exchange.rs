use anchor_lang::prelude::*;

/// Governance-set limits of one exchange's draws on one pool.
#[derive(InitSpace, Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
// After the `Pod` derive, so that the IDL calls the type Borsh (which its bytes are).
#[cfg_attr(feature = "idl-build", derive(AnchorSerialize, AnchorDeserialize))]
#[repr(C)]
pub struct ExchangeLimits {
    /// Most one `cover_shortfall` pays (base units, > 0).
    pub per_event_cap: u64,
    /// Most all `cover_shortfall`s of one epoch pay together (>= `per_event_cap`).
    pub per_epoch_cap: u64,
    /// Epoch length in seconds (`[MIN_EPOCH_LENGTH, MAX_EPOCH_LENGTH]`).
    pub epoch_length: i64,
    /// Most one `cover_shortfall` pays, bps of the pool's free capital at the draw.
    pub per_event_bps: u64,
    /// Most one epoch's draws pay together, bps of free capital at each draw
    /// (`per_event_bps <= per_epoch_bps <= 10 000`).
    pub per_epoch_bps: u64,
}

// Plain old data: Borsh is its bytes, in one copy (see `pod_borsh!`).
crate::pod_borsh!(ExchangeLimits);

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
        require!(
            self.per_event_bps >= 1
                && self.per_event_bps <= self.per_epoch_bps
                && self.per_epoch_bps <= crate::math::BPS,
            crate::errors::InsuranceError::InvalidExchangeBps
        );
        Ok(())
    }

    /// Whether `self` grants no more than `current`: every cap at most as high, and
    /// an epoch at least as long. Such a change applies at once; any other waits.
    pub fn is_decrease_of(&self, current: &ExchangeLimits) -> bool {
        self.per_event_cap <= current.per_event_cap
            && self.per_epoch_cap <= current.per_epoch_cap
            && self.per_event_bps <= current.per_event_bps
            && self.per_epoch_bps <= current.per_epoch_bps
            && self.epoch_length >= current.epoch_length
    }
}

/// An exchange allowed to draw on one pool, PDA `["exchange", pool, exchange_authority]`
/// (zero-copy).
#[account(zero_copy)]
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
    /// Draws are paid only from this time on the pool's exit clock (registration + the
    /// pool's exit horizon, so underwriters can leave before a new draw right applies;
    /// the exit clock is wall time minus withdrawal pauses, so a pause delays it).
    pub active_from: i64,
    /// Limits and destination waiting to apply at `pending_at` (exit clock; 0: none).
    /// Applying them also reactivates the registration.
    pub pending_limits: ExchangeLimits,
    pub pending_destination: Pubkey,
    pub pending_at: i64,
    /// Length of the current epoch (a new `limits.epoch_length` applies from the next).
    pub epoch_length: i64,
    /// Lifetime volume this exchange reported through `contribute_volume`, and the fees
    /// it paid for it (statistics).
    pub total_volume: u64,
    pub total_volume_fees: u64,
    /// 1 while the registration may draw and report volume, 0 once deactivated
    /// ([`ExchangeRegistration::is_active`]).
    pub active: u8,
    pub bump: u8,
    /// Keeps the account a multiple of 8 bytes (zero).
    pub reserved: [u8; 6],
}

// Zero-copy: no padding (enforced by `Pod`), so the Borsh size is the in-memory size.
const _: () =
    assert!(ExchangeRegistration::INIT_SPACE == std::mem::size_of::<ExchangeRegistration>());
const _: () = assert!(std::mem::align_of::<ExchangeRegistration>() <= 8);

impl ExchangeRegistration {
    /// Whether the registration is active (not deactivated, or reactivated since).
    pub fn is_active(&self) -> bool {
        self.active != 0
    }

    /// Applies a pending change whose time has come on the pool's exit `clock`.
    pub fn refresh(&mut self, clock: i64) {
        if self.pending_at != 0 && clock >= self.pending_at {
            self.limits = self.pending_limits;
            self.destination = self.pending_destination;
            self.active = 1;
            self.pending_at = 0;
        }
    }

    /// Whether draws are paid at exit `clock` (active, and past its activation).
    pub fn can_draw(&self, clock: i64) -> bool {
        self.is_active() && clock >= self.active_from
    }
}

/// The binding limit of a shortfall payout (its rules live with the payout math).
pub use crate::math::CoverLimit;

#[cfg(test)]
mod limits_encoding_tests {
    use super::*;

    /// The one-copy encoding is field-by-field Borsh (declaration order, little endian).
    #[test]
    fn limits_encode_as_their_borsh_fields() {
        let l = ExchangeLimits {
            per_event_cap: 1,
            per_epoch_cap: 2,
            epoch_length: -3,
            per_event_bps: 4,
            per_epoch_bps: 5,
        };
        let mut expected = Vec::new();
        for word in [1u64, 2, (-3i64) as u64, 4, 5] {
            expected.extend_from_slice(&word.to_le_bytes());
        }
        let mut bytes = Vec::new();
        l.serialize(&mut bytes).unwrap();
        assert_eq!(bytes, expected);
        assert_eq!(ExchangeLimits::try_from_slice(&bytes).unwrap(), l);
    }
}
