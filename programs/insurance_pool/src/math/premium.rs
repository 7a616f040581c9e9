//! The premium curve: utilisation, the kinked rate, and the premium.
//! Rates are in basis points (bps) of notional; utilisation is in bps of capital.
//! Every rounding favours the pool: utilisation and premiums round up.

use anchor_lang::prelude::*;

use super::safe_math::SafeMath;

/// 100 % in basis points.
#[anchor_lang::constant]
pub const BPS: u64 = 10_000;
/// Seconds in a day (the unit of expiry buckets).
pub const DAY: i64 = 86_400;

/// Shape of a pool's premium curve (all rates in bps of notional).
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    InitSpace,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    bytemuck::Pod,
    bytemuck::Zeroable,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(C)]
pub struct Curve {
    /// Rate at zero utilisation.
    pub base_rate: u64,
    /// Rate added per 100 % of utilisation below the kink.
    pub slope1: u64,
    /// Utilisation (bps of capital) where the steeper slope starts.
    pub kink: u64,
    /// Rate added per 100 % of utilisation above the kink.
    pub slope2: u64,
    /// Floor of the rate.
    pub min_rate: u64,
    /// Ceiling of the rate.
    pub max_rate: u64,
}

/// Utilisation `exposure / capital` in bps, rounded up, saturating at `u64::MAX`
/// (an empty pool with any exposure is infinitely utilised; with none, 0).
#[inline]
pub fn utilisation_bps(exposure: u64, capital: u64) -> u64 {
    if exposure == 0 {
        return 0;
    }
    if capital == 0 {
        return u64::MAX;
    }
    // Fast path: 64-bit arithmetic when the product fits (same result, no u128 division).
    if let Some(p) = exposure.checked_mul(BPS) {
        return p.div_ceil(capital);
    }
    let u = (exposure as u128 * BPS as u128).div_ceil(capital as u128);
    u64::try_from(u).unwrap_or(u64::MAX)
}

/// The curve's target rate at utilisation `u` (bps):
/// `base + slope1·min(u, kink) + slope2·max(0, u − kink)` (slopes per 10 000 bps of
/// utilisation, rounded up), clamped to `[min_rate, max_rate]`. Total: saturates
/// instead of overflowing, so any input gives a rate in the clamp range.
#[inline]
pub fn curve_rate(curve: &Curve, u: u64) -> u64 {
    let below = u.min(curve.kink);
    let above = u.saturating_sub(curve.kink);
    // slope · utilisation / BPS rounded up, in 64 bits when the product fits.
    let step = |slope: u64, x: u64| match slope.checked_mul(x) {
        Some(p) => p.div_ceil(BPS) as u128,
        None => (slope as u128 * x as u128).div_ceil(BPS as u128),
    };
    let rate = (curve.base_rate as u128)
        .saturating_add(step(curve.slope1, below))
        .saturating_add(step(curve.slope2, above));
    let rate = u64::try_from(rate).unwrap_or(u64::MAX);
    rate.max(curve.min_rate)
        .min(curve.max_rate.max(curve.min_rate))
}

/// The most exposure `capital` may carry at `max_exposure_bps`: `capital · bps / BPS`,
/// rounded down (saturating at `u64::MAX`). Cover is sold while the exposure stays at or
/// below it: one definition for the program (`Pool::exposure_within_cap`) and the
/// actuary's simulation (`exposure <= exposure_cap(..)` is exactly
/// `within_bps(exposure, capital, bps)`).
#[inline]
pub fn exposure_cap(capital: u64, max_exposure_bps: u64) -> u64 {
    // 64-bit when the product fits (same result; a u128 division costs ~100 CU on SBF).
    match capital.checked_mul(max_exposure_bps) {
        Some(product) => product / BPS,
        None => {
            (capital as u128 * max_exposure_bps as u128 / BPS as u128).min(u64::MAX as u128) as u64
        }
    }
}

/// Premium for covering `notional` at `rate_bps` for `covered_secs` out of a full
/// `duration_secs` term: `ceil(notional · rate · covered / (BPS · duration))`.
/// `covered_secs` is clamped to `[0, MAX_COVERAGE_DURATION]`: it may exceed the current
/// term (a cover bought before the term was shortened pays for all the time it has left).
#[inline]
pub fn premium_for(
    notional: u64,
    rate_bps: u64,
    covered_secs: i64,
    duration_secs: i64,
) -> Result<u64> {
    let covered = covered_secs.clamp(0, crate::constants::MAX_COVERAGE_DURATION) as u64;
    // Fast path: everything fits in 64 bits (same result, no u128 division).
    if let (Some(n), Some(d)) = (
        notional
            .checked_mul(rate_bps)
            .and_then(|x| x.checked_mul(covered)),
        BPS.checked_mul(duration_secs.max(1) as u64),
    ) {
        return Ok(n.div_ceil(d));
    }
    let duration = duration_secs.max(1) as u128;
    let covered = covered as u128;
    let numerator = (notional as u128)
        .safe_mul(rate_bps as u128)?
        .safe_mul(covered)?;
    let premium = numerator.div_ceil(BPS as u128 * duration);
    u64::try_from(premium).map_err(|_| error!(crate::errors::InsuranceError::MathOverflow))
}

/// Whether `amount <= base · bps / BPS`, exactly (no rounding): how every cap expressed
/// in bps of capital is checked (exposure cap, largest claim).
#[inline]
pub fn within_bps(amount: u64, base: u64, bps: u64) -> bool {
    amount as u128 * BPS as u128 <= base as u128 * bps as u128
}

/// `amount · bps / BPS`, rounded down (the protocol's fee share).
#[inline]
pub fn bps_of_floor(amount: u64, bps: u64) -> Result<u64> {
    super::safe_math::mul_div_floor(amount, bps, BPS)
}

#[cfg(test)]
mod tests {

    #[test]
    fn exposure_cap_is_within_bps_exactly() {
        for (capital, bps) in [
            (0, 1),
            (1, 1),
            (9_999, 50_000),
            (10_001, 3),
            (u64::MAX, 100_000),
        ] {
            let cap = exposure_cap(capital, bps);
            assert!(within_bps(cap, capital, bps));
            if cap < u64::MAX {
                assert!(!within_bps(cap + 1, capital, bps));
            }
        }
    }

    use super::*;
    use proptest::prelude::*;

    const CURVE: Curve = Curve {
        base_rate: 50,
        slope1: 400,
        kink: 8_000,
        slope2: 6_000,
        min_rate: 50,
        max_rate: 2_000,
    };

    #[test]
    fn hand_computed_rates() {
        assert_eq!(curve_rate(&CURVE, 0), 50);
        // 50 % utilisation: 50 + 400 * 0.5 = 250.
        assert_eq!(curve_rate(&CURVE, 5_000), 250);
        // At the kink: 50 + 320 = 370.
        assert_eq!(curve_rate(&CURVE, 8_000), 370);
        // 90 %: 370 + 6_000 * 0.1 = 970.
        assert_eq!(curve_rate(&CURVE, 9_000), 970);
        // 200 %: 370 + 6_000 * 1.2 = 7_570, clamped to 2_000.
        assert_eq!(curve_rate(&CURVE, 20_000), 2_000);
        assert_eq!(curve_rate(&CURVE, u64::MAX), 2_000);
    }

    #[test]
    fn utilisation_rounds_up_and_handles_empty_pools() {
        assert_eq!(utilisation_bps(0, 0), 0);
        assert_eq!(utilisation_bps(1, 0), u64::MAX);
        assert_eq!(utilisation_bps(1, 3), 3_334);
        assert_eq!(utilisation_bps(50_000, 100_000), 5_000);
        assert_eq!(utilisation_bps(u64::MAX, 1), u64::MAX);
    }

    #[test]
    fn premiums_round_up_and_prorate() {
        // 10_000 notional at 250 bps for the full term: 250.
        assert_eq!(premium_for(10_000, 250, 30 * DAY, 30 * DAY).unwrap(), 250);
        // Half the term: 125. A third: ceil(83.33) = 84.
        assert_eq!(premium_for(10_000, 250, 15 * DAY, 30 * DAY).unwrap(), 125);
        assert_eq!(premium_for(10_000, 250, 10 * DAY, 30 * DAY).unwrap(), 84);
        // Any positive rate on a positive notional costs at least 1.
        assert_eq!(premium_for(1, 1, 30 * DAY, 30 * DAY).unwrap(), 1);
        assert_eq!(premium_for(u64::MAX, 10_000, DAY, DAY).unwrap(), u64::MAX);
        // Longer than the (shortened) term: charged for all of it.
        assert_eq!(premium_for(10_000, 250, 60 * DAY, DAY).unwrap(), 15_000);
        assert!(premium_for(u64::MAX, 20_000, DAY, DAY).is_err());
    }

    proptest! {
        /// The 64-bit fast paths give exactly what the 128-bit formulas give, on both
        /// sides of the overflow boundary.
        #[test]
        fn fast_paths_match_the_wide_formulas(
            a in prop_oneof![0u64..1 << 40, any::<u64>()],
            b in prop_oneof![1u64..1 << 40, 1..=u64::MAX],
            rate in prop_oneof![0u64..20_000, any::<u64>()],
            secs in 0i64..=60 * 86_400,
            slope in prop_oneof![0u64..100_000, any::<u64>()],
        ) {
            let wide_u = if a == 0 { 0 } else {
                u64::try_from((a as u128 * BPS as u128).div_ceil(b as u128)).unwrap_or(u64::MAX)
            };
            prop_assert_eq!(utilisation_bps(a, b), wide_u);
            let c = Curve { base_rate: 7, slope1: slope, kink: 8_000, slope2: slope / 3, min_rate: 0, max_rate: u64::MAX };
            let wide_rate = (7u128
                + (slope as u128 * a.min(8_000) as u128).div_ceil(BPS as u128)
                + ((slope / 3) as u128 * a.saturating_sub(8_000) as u128).div_ceil(BPS as u128))
                .min(u64::MAX as u128) as u64;
            prop_assert_eq!(curve_rate(&c, a), wide_rate);
            let duration = 30 * 86_400i64;
            let wide_premium = (a as u128 * rate as u128)
                .checked_mul(secs as u128)
                .map(|n| n.div_ceil(BPS as u128 * duration as u128))
                .and_then(|p| u64::try_from(p).ok());
            prop_assert_eq!(premium_for(a, rate, secs, duration).ok(), wide_premium);
        }

        /// The rate never decreases as utilisation rises.
        #[test]
        fn rate_is_monotone_in_utilisation(
            base in 0u64..=10_000, s1 in 0u64..=100_000, s2 in 0u64..=100_000,
            kink in 1u64..=10_000, min in 0u64..=10_000, max in 0u64..=10_000,
            u1: u64, u2: u64,
        ) {
            let curve = Curve { base_rate: base, slope1: s1, kink, slope2: s2, min_rate: min, max_rate: max };
            let (lo, hi) = (u1.min(u2), u1.max(u2));
            prop_assert!(curve_rate(&curve, lo) <= curve_rate(&curve, hi));
        }

        /// The rate always lies in the clamp range, for any u64 inputs, without panicking.
        #[test]
        fn rate_is_clamped_for_any_input(
            base: u64, s1: u64, kink: u64, s2: u64, min: u64, max: u64, u: u64,
        ) {
            let curve = Curve { base_rate: base, slope1: s1, kink, slope2: s2, min_rate: min, max_rate: max };
            let rate = curve_rate(&curve, u);
            prop_assert!(rate >= min);
            prop_assert!(rate <= max.max(min));
        }

        /// No u64 input panics; a premium is a value or a named overflow error.
        #[test]
        fn premium_is_total(n: u64, r: u64, c: i64, d: i64) {
            let _ = premium_for(n, r, c, d);
            let _ = utilisation_bps(n, r);
        }

        /// Quote and charge are consistent: at one rate, splitting a cover into two
        /// purchases never costs less than buying it at once, and at most one unit more.
        #[test]
        fn splitting_a_cover_never_saves(
            a in 1u64..=1u64 << 40, b in 1u64..=1u64 << 40, r in 1u64..=10_000,
            left in 1i64..=30 * DAY,
        ) {
            let whole = premium_for(a + b, r, left, 30 * DAY).unwrap();
            let split = premium_for(a, r, left, 30 * DAY).unwrap() + premium_for(b, r, left, 30 * DAY).unwrap();
            prop_assert!(split >= whole && split <= whole + 1);
        }

        /// Full-term premium is never below the exact product, and less than one unit above.
        #[test]
        fn premium_rounds_up_by_less_than_one(n in 0u64..=1u64 << 40, r in 0u64..=10_000) {
            let p = premium_for(n, r, DAY, DAY).unwrap() as u128;
            let exact_times_bps = n as u128 * r as u128;
            prop_assert!(p * BPS as u128 >= exact_times_bps);
            prop_assert!(p * (BPS as u128) < exact_times_bps + BPS as u128);
        }
    }
}
