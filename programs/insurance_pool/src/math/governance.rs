//! Claim governance: bonds, quorum, approval and fraud thresholds.

use super::premium::BPS;
use super::safe_math::mul_div_ceil;
use anchor_lang::prelude::*;

/// Bond for a claim of `amount`: `max(bond_min, ceil(amount · bond_bps / BPS))`.
pub fn bond_for(amount: u64, bond_min: u64, bond_bps: u64) -> Result<u64> {
    Ok(mul_div_ceil(amount, bond_bps, BPS)?.max(bond_min))
}

/// Turnout reaches the quorum: `cast · BPS >= quorum_bps · eligible` (and something was
/// cast at all).
pub fn quorum_met(cast: u64, eligible: u64, quorum_bps: u64) -> bool {
    cast > 0 && cast as u128 * BPS as u128 >= quorum_bps as u128 * eligible as u128
}

/// Share of the cast weight reaches `threshold_bps`: `part · BPS >= threshold · cast`.
pub fn share_reached(part: u64, cast: u64, threshold_bps: u64) -> bool {
    cast > 0 && part as u128 * BPS as u128 >= threshold_bps as u128 * cast as u128
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
    }

    proptest! {
        #[test]
        fn total_and_monotone(cast: u64, eligible: u64, q in 0u64..=10_000, part: u64) {
            let _ = bond_for(cast, eligible, q);
            if quorum_met(cast, eligible, q) && cast < u64::MAX {
                prop_assert!(quorum_met(cast + 1, eligible, q));
            }
            let part = part.min(cast);
            if share_reached(part, cast, q) && part < cast {
                prop_assert!(share_reached(part + 1, cast, q));
            }
        }
    }
}
