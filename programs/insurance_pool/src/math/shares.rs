//! Share pricing of a pool. Shares price the pool's accounted capital pro-rata, with a
//! virtual offset ([`VIRTUAL_SHARES`], [`VIRTUAL_ASSETS`]) in every conversion, and every
//! conversion rounds down, i.e. in the pool's favour: a depositor never receives a share
//! it did not fully pay for and a withdrawer never receives a unit its shares do not own.
//!
//! Because the price uses *accounted* capital (not the vault's token balance), tokens
//! sent straight to the vault ("donations") do not move the share price at all.

use anchor_lang::prelude::*;

use super::safe_math::{mul_div_floor_wide, SafeMath};
use crate::constants::{VIRTUAL_ASSETS, VIRTUAL_SHARES};

/// Shares minted for depositing `amount` into a pool holding `capital` with
/// `total_shares` outstanding: `floor(amount * (S + V_s) / (C + V_a))`.
/// Fails with `MathOverflow` only if the result does not fit in `u64`.
pub fn shares_for_deposit(amount: u64, capital: u64, total_shares: u64) -> Result<u64> {
    mul_div_floor_wide(
        amount,
        total_shares as u128 + VIRTUAL_SHARES as u128,
        capital as u128 + VIRTUAL_ASSETS as u128,
    )
}

/// Value in base units of `shares` of a pool holding `capital` with `total_shares`
/// outstanding: `floor(shares * (C + V_a) / (S + V_s))`, never more than `capital`.
/// Total for every input: the `u128` quotient is clamped to `capital` before narrowing.
pub fn value_of_shares(shares: u64, capital: u64, total_shares: u64) -> Result<u64> {
    let value = (shares as u128)
        .safe_mul(capital as u128 + VIRTUAL_ASSETS as u128)?
        .safe_div(total_shares as u128 + VIRTUAL_SHARES as u128)?;
    Ok(value.min(capital as u128) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_pool_prices_at_the_virtual_ratio() {
        assert_eq!(shares_for_deposit(1, 0, 0).unwrap(), 1_000_000);
        assert_eq!(shares_for_deposit(500, 0, 0).unwrap(), 500_000_000);
        assert_eq!(value_of_shares(500_000_000, 500, 500_000_000).unwrap(), 500);
    }

    #[test]
    fn hand_computed_pro_rata_after_a_loss() {
        // Two underwriters at 1_000 and 3_000; a 400 loss leaves 3_600.
        let a = shares_for_deposit(1_000, 0, 0).unwrap();
        let b = shares_for_deposit(3_000, 1_000, a).unwrap();
        assert_eq!((a, b), (1_000_000_000, 3_000_000_000));
        let supply = a + b;
        assert_eq!(value_of_shares(a, 3_600, supply).unwrap(), 900);
        assert_eq!(value_of_shares(b, 3_600, supply).unwrap(), 2_700);
    }

    #[test]
    fn rounding_favours_the_pool() {
        // Price 3 units per 2_000_000 shares: deposits round shares down, values round down.
        let supply = 2_000_000 - 1_000_000; // plus virtual = 2_000_000
        let capital = 2; // plus virtual = 3
        assert_eq!(shares_for_deposit(1, capital, supply).unwrap(), 666_666);
        assert_eq!(value_of_shares(666_666, capital, supply).unwrap(), 0);
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        assert!(shares_for_deposit(u64::MAX, 0, u64::MAX).is_err());
        assert!(shares_for_deposit(u64::MAX, 0, 0).is_err());
        assert_eq!(
            shares_for_deposit(1_000, u64::MAX, u64::MAX).unwrap(),
            1_000
        );
        let max = u64::MAX as u128;
        let expected = (max * (max + 1) / (max + 1_000_000)) as u64;
        assert_eq!(
            value_of_shares(u64::MAX, u64::MAX, u64::MAX).unwrap(),
            expected
        );
        assert_eq!(value_of_shares(u64::MAX, u64::MAX, 0).unwrap(), u64::MAX);
    }

    #[test]
    fn wiped_out_pool_values_shares_at_zero() {
        assert_eq!(value_of_shares(1_000_000_000, 0, 1_000_000_000).unwrap(), 0);
    }

    proptest! {
        /// Depositing and immediately redeeming never returns more than was paid.
        #[test]
        fn round_trip_never_profits(
            amount in 1u64..=1u64 << 50,
            capital in 0u64..=1u64 << 50,
            supply in 0u64..=1u64 << 56,
        ) {
            let Ok(shares) = shares_for_deposit(amount, capital, supply) else {
                return Ok(()); // more shares than u64 holds: refused, nothing to check
            };
            let value = value_of_shares(shares, capital + amount, supply + shares).unwrap();
            prop_assert!(value <= amount);
        }

        /// The shares a holder owns are never worth more than the pool's capital, and the
        /// existing holders' value never decreases because somebody deposited.
        #[test]
        fn deposits_never_dilute_existing_holders(
            amount in 1u64..=1u64 << 50,
            capital in 1u64..=1u64 << 50,
            supply in 1u64..=1u64 << 56,
        ) {
            let before = value_of_shares(supply, capital, supply).unwrap();
            prop_assert!(before <= capital);
            let Ok(minted) = shares_for_deposit(amount, capital, supply) else {
                return Ok(());
            };
            let after = value_of_shares(supply, capital + amount, supply + minted).unwrap();
            prop_assert!(after >= before);
        }

        /// No input panics: a deposit quote is a value or a named error; a valuation is
        /// always a value, at most the capital.
        #[test]
        fn total_over_all_u64(a: u64, c: u64, s: u64) {
            let _ = shares_for_deposit(a, c, s);
            prop_assert!(value_of_shares(a, c, s).unwrap() <= c);
        }
    }
}
