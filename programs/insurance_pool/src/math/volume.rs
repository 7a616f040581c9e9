//! The volume rate: what an exchange pays into its market's pool per unit of trading
//! volume (`contribute_volume`), in bps of volume.
//!
//! `target = clamp(base_rate + ceil(loss_slope · loss_ewma / free_capital), min_rate,
//! max_rate)`: the rate rises with the market's shortfall experience (the EWMA of
//! reported shortfalls, [`crate::state::LossStats::ewma`]) relative to the capital that
//! can absorb the next one. With no free capital and any loss history the target is
//! `max_rate`. The charged rate is smoothed like the premium rate
//! ([`super::smoothed_rate`]): a rise applies at once, a fall is limited to
//! `max_change_per_day`. Every rounding favours the pool: the loss term and the fee
//! round up.

use anchor_lang::prelude::*;

use super::premium::BPS;

/// Shape of a pool's volume rate (bps of traded volume).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolumeCurve {
    /// Rate with no shortfall history.
    pub base_rate: u64,
    /// Rate added per 100 % of `loss_ewma / free_capital` (bps of volume).
    pub loss_slope: u64,
    /// Floor of the rate (0 allowed: a pool that takes no volume income).
    pub min_rate: u64,
    /// Ceiling of the rate (`<= MAX_VOLUME_RATE_BPS`).
    pub max_rate: u64,
    /// Most the charged rate may fall per day (bps, pro-rata to elapsed time; `>= 1`).
    pub max_change_per_day: u64,
}

/// The target volume rate for a pool with `loss_ewma` and `free_capital` (see the
/// module doc). Total: saturates instead of overflowing.
#[inline]
pub fn volume_target_rate(curve: &VolumeCurve, loss_ewma: u64, free_capital: u64) -> u64 {
    let loss_term: u128 = if loss_ewma == 0 || curve.loss_slope == 0 {
        0
    } else if free_capital == 0 {
        u128::MAX
    } else {
        (curve.loss_slope as u128 * loss_ewma as u128).div_ceil(free_capital as u128)
    };
    let rate = (curve.base_rate as u128).saturating_add(loss_term);
    let rate = u64::try_from(rate).unwrap_or(u64::MAX);
    rate.max(curve.min_rate)
        .min(curve.max_rate.max(curve.min_rate))
}

/// Fee on `volume` at `rate_bps`: `ceil(volume · rate / 10 000)`, so splitting a
/// volume into many small contributions never pays less than one contribution.
#[inline]
pub fn volume_fee(volume: u64, rate_bps: u64) -> Result<u64> {
    let fee = (volume as u128 * rate_bps as u128).div_ceil(BPS as u128);
    u64::try_from(fee).map_err(|_| error!(crate::errors::InsuranceError::MathOverflow))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CURVE: VolumeCurve = VolumeCurve {
        base_rate: 2,
        loss_slope: 500,
        min_rate: 1,
        max_rate: 50,
        max_change_per_day: 1,
    };

    #[test]
    fn worked_example() {
        // No losses: the base rate.
        assert_eq!(volume_target_rate(&CURVE, 0, 1_000_000), 2);
        // EWMA 2 % of free capital: 2 + ceil(500 · 0.02) = 12 bps.
        assert_eq!(volume_target_rate(&CURVE, 20_000, 1_000_000), 12);
        // 1 unit of loss still adds a whole bps (rounded up).
        assert_eq!(volume_target_rate(&CURVE, 1, 1_000_000), 3);
        // Losses as large as the capital: clamped to the ceiling.
        assert_eq!(volume_target_rate(&CURVE, 1_000_000, 1_000_000), 50);
        // No free capital: the ceiling, however small the losses.
        assert_eq!(volume_target_rate(&CURVE, 1, 0), 50);
        assert_eq!(volume_target_rate(&CURVE, 0, 0), 2);
        // A fee of 12 bps on 1 000 000 of volume; any volume pays at least 1.
        assert_eq!(volume_fee(1_000_000, 12).unwrap(), 1_200);
        assert_eq!(volume_fee(1, 1).unwrap(), 1);
        assert_eq!(volume_fee(1, 0).unwrap(), 0);
        assert_eq!(
            volume_fee(u64::MAX, 1_000).unwrap(),
            (u64::MAX as u128 * 1_000).div_ceil(10_000) as u64
        );
    }

    fn curves() -> impl Strategy<Value = VolumeCurve> {
        (0u64..=1_000, 0u64..=1_000, 0u64..=1_000, 0u64..=200_000).prop_map(|(a, b, c, slope)| {
            let mut v = [a, b, c];
            v.sort();
            VolumeCurve {
                min_rate: v[0],
                base_rate: v[1],
                max_rate: v[2],
                loss_slope: slope,
                max_change_per_day: 1,
            }
        })
    }

    proptest! {
        #[test]
        fn rate_stays_in_bounds(c in curves(), ewma: u64, free: u64) {
            let r = volume_target_rate(&c, ewma, free);
            prop_assert!(r >= c.min_rate && r <= c.max_rate);
            prop_assert!(r >= c.base_rate);
        }

        #[test]
        fn rate_rises_with_losses(c in curves(), a: u64, b: u64, free: u64) {
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(volume_target_rate(&c, lo, free) <= volume_target_rate(&c, hi, free));
        }

        #[test]
        fn rate_falls_with_capital(c in curves(), ewma: u64, a: u64, b: u64) {
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(volume_target_rate(&c, ewma, hi) <= volume_target_rate(&c, ewma, lo));
        }

        #[test]
        fn fee_rounds_up_and_splitting_never_pays_less(a: u32, b: u32, rate in 0u64..=1_000) {
            let (a, b) = (a as u64, b as u64);
            let whole = volume_fee(a + b, rate).unwrap();
            prop_assert!(whole as u128 * 10_000 >= (a + b) as u128 * rate as u128);
            prop_assert!(whole as u128 * 10_000 < (a + b) as u128 * rate as u128 + 10_000);
            prop_assert!(volume_fee(a, rate).unwrap() + volume_fee(b, rate).unwrap() >= whole);
        }
    }
}
