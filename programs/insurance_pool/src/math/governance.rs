//! Claim governance: bonds, quorum, approval and fraud thresholds.

use super::premium::BPS;
use super::safe_math::mul_div_ceil;
use anchor_lang::prelude::*;

/// Bond for a claim of `amount`: `max(bond_min, ceil(amount · bond_bps / BPS))`.
pub fn bond_for(amount: u64, bond_min: u64, bond_bps: u64) -> Result<u64> {
    Ok(mul_div_ceil(amount, bond_bps, BPS)?.max(bond_min))
}

/// Turnout reaches the quorum: `cast · BPS >= quorum_bps · eligible` (and something was
/// cast at all). Weights are shares (`u128`): see [`ratio_reached`].
pub fn quorum_met(cast: u128, eligible: u128, quorum_bps: u64) -> bool {
    cast > 0 && ratio_reached(cast, eligible, quorum_bps)
}

/// Share of the cast weight reaches `threshold_bps`: `part · BPS >= threshold · cast`.
pub fn share_reached(part: u128, cast: u128, threshold_bps: u64) -> bool {
    cast > 0 && ratio_reached(part, cast, threshold_bps)
}

/// `part · BPS >= bps · whole`, exactly, in 256-bit arithmetic (weights are `u128`).
pub fn ratio_reached(part: u128, whole: u128, bps: u64) -> bool {
    mul_wide(part, BPS as u128) >= mul_wide(whole, bps as u128)
}

/// `a · b` as a 256-bit `(high, low)` pair (compares as the number it stands for).
pub fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const LOW: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & LOW);
    let (b1, b0) = (b >> 64, b & LOW);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let mid = (p00 >> 64) + (p01 & LOW) + (p10 & LOW);
    let low = (p00 & LOW) | (mid << 64);
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (high, low)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed() {
        assert_eq!(bond_for(10_000, 50, 100).unwrap(), 100);
        assert_eq!(bond_for(1_000, 50, 100).unwrap(), 50);
        assert_eq!(bond_for(1_001, 0, 100).unwrap(), 11);
        assert!(quorum_met(2_000, 10_000, 2_000));
        assert!(!quorum_met(1_999, 10_000, 2_000));
        assert!(!quorum_met(0, 0, 2_000));
        assert!(share_reached(6_000, 10_000, 6_000));
        assert!(!share_reached(5_999, 10_000, 6_000));
        assert!(!share_reached(0, 0, 1));
        // Weights beyond 2^114 (products past u128) still compare correctly.
        assert!(quorum_met(u128::MAX / 4, u128::MAX, 2_000));
        assert!(!quorum_met(u128::MAX / 6, u128::MAX, 2_000));
        assert!(share_reached(u128::MAX, u128::MAX, 10_000));
    }

    proptest! {
        #[test]
        fn total_and_monotone(cast: u128, eligible: u128, q in 0u64..=10_000, part: u128) {
            let _ = bond_for(cast as u64, eligible as u64, q);
            if quorum_met(cast, eligible, q) && cast < u128::MAX {
                prop_assert!(quorum_met(cast + 1, eligible, q));
            }
            let part = part.min(cast);
            if share_reached(part, cast, q) && part < cast {
                prop_assert!(share_reached(part + 1, cast, q));
            }
        }
    }
}
