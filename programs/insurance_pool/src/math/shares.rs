//! Share pricing of a pool. Shares price the pool's accounted capital pro-rata, with a
//! virtual offset ([`VIRTUAL_SHARES`], [`VIRTUAL_ASSETS`]) in every conversion, and every
//! conversion rounds down, i.e. in the pool's favour: a depositor never receives a share
//! it did not fully pay for and a withdrawer never receives a unit its shares do not own.
//!
//! Because the price uses *accounted* capital (not the vault's token balance), tokens
//! sent straight to the vault ("donations") do not move the share price at all.

use anchor_lang::prelude::*;

use super::safe_math::SafeMath;
use crate::constants::{VIRTUAL_ASSETS, VIRTUAL_SHARES};
use crate::errors::InsuranceError;

/// Share amounts: `u128`, so that any deposit up to the deposit cap mints its shares at
/// any share price (even after a pool lost 99.9999 % of its capital, shares per unit are
/// ~10^12; 10^19 units then need ~10^31 shares, far below `u128::MAX` ≈ 3.4·10^38).
pub type Shares = u128;

/// A [`Shares`] (`u128`) stored as its 16 little-endian bytes, alignment 1: zero-copy
/// accounts must keep the 8-byte alignment of account data, and a plain `u128` needs
/// 16. The bytes are exactly Borsh's encoding of the `u128`, and the IDL describes the
/// type as an alias of `u128`, so clients decode it as the number it is.
#[derive(Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct PodShares([u8; 16]);

// Borsh by hand (the derive would also emit an IDL definition, and this type has its
// own: an alias of `u128`): the 16 bytes, which is Borsh's `u128`.
impl AnchorSerialize for PodShares {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(&self.0)
    }
}

impl AnchorDeserialize for PodShares {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let mut bytes = [0u8; 16];
        reader.read_exact(&mut bytes)?;
        Ok(Self(bytes))
    }
}

impl PodShares {
    /// The stored amount.
    #[inline(always)]
    pub fn get(&self) -> Shares {
        Shares::from_le_bytes(self.0)
    }

    /// Stores `value`.
    #[inline(always)]
    pub fn set(&mut self, value: Shares) {
        self.0 = value.to_le_bytes();
    }
}

impl From<Shares> for PodShares {
    fn from(value: Shares) -> Self {
        Self(value.to_le_bytes())
    }
}

impl std::fmt::Debug for PodShares {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

impl anchor_lang::Space for PodShares {
    const INIT_SPACE: usize = 16;
}

#[cfg(feature = "idl-build")]
impl anchor_lang::idl::IdlBuild for PodShares {
    fn create_type() -> Option<anchor_lang::idl::types::IdlTypeDef> {
        use anchor_lang::idl::types::*;
        Some(IdlTypeDef {
            name: Self::get_full_path(),
            docs: vec!["A u128 share amount (16 little-endian bytes).".into()],
            serialization: IdlSerialization::default(),
            repr: None,
            generics: vec![],
            ty: IdlTypeDefTy::Type {
                alias: IdlType::U128,
            },
        })
    }
}

/// Shares minted for depositing `amount` into a pool holding `capital` with
/// `total_shares` outstanding: `floor(amount * (S + V_s) / (C + V_a))`, exact in
/// 192-bit arithmetic. Fails with `MathOverflow` only if the result exceeds `u128`.
pub fn shares_for_deposit(amount: u64, capital: u64, total_shares: Shares) -> Result<Shares> {
    let supply = total_shares.safe_add(VIRTUAL_SHARES as u128)?;
    let assets = capital as u128 + VIRTUAL_ASSETS as u128;
    mul_div_floor_u192(amount, supply, assets)
}

/// Value in base units of `shares` of a pool holding `capital` with `total_shares`
/// outstanding: `floor(shares * (C + V_a) / (S + V_s))`, never more than `capital`.
/// Total for every input (a value at most `capital`, never a panic).
pub fn value_of_shares(shares: Shares, capital: u64, total_shares: Shares) -> Result<u64> {
    let supply = total_shares.saturating_add(VIRTUAL_SHARES as u128);
    // C + V_a, except at C = u64::MAX where it would not fit 64 bits: then C itself
    // (a smaller value, so rounding still favours the pool).
    let assets = capital.saturating_add(VIRTUAL_ASSETS);
    let value = mul_div_floor_u192(assets, shares.min(supply), supply)?;
    Ok(value.min(capital as u128) as u64)
}

/// `floor(a · b / d)` for a 64-bit `a` and 128-bit `b` and `d`, exact: the 192-bit
/// product is divided by schoolbook long division. `MathOverflow` when `d == 0` or the
/// quotient exceeds `u128`.
pub fn mul_div_floor_u192(a: u64, b: u128, d: u128) -> Result<u128> {
    require!(d > 0, InsuranceError::MathOverflow);
    if let Some(p) = (a as u128).checked_mul(b) {
        return Ok(p / d);
    }
    const LOW: u128 = u64::MAX as u128;
    // a · b = high · 2^64 + low, with low < 2^64 (high < 2^128: see below).
    let hi = (a as u128) * (b >> 64); // ≤ (2^64 - 1)^2
    let lo = (a as u128) * (b & LOW); // ≤ (2^64 - 1)^2
    let high = hi + (lo >> 64); // < 2^128 - 2^65 + 1 + 2^64
    let low = lo & LOW;
    // floor((high · 2^64 + low) / d) = q1 · 2^64 + floor((r1 · 2^64 + low) / d).
    let (q1, mut rem) = (high / d, high % d);
    let mut q2: u128 = 0;
    for i in (0..64).rev() {
        // rem < d; shift in one bit of `low` (2 · rem + bit may need 129 bits).
        let carry = rem >> 127 == 1;
        rem = (rem << 1) | ((low >> i) & 1);
        q2 <<= 1;
        if carry || rem >= d {
            rem = rem.wrapping_sub(d);
            q2 |= 1;
        }
    }
    q1.checked_mul(1u128 << 64)
        .and_then(|q| q.checked_add(q2))
        .ok_or_else(|| error!(InsuranceError::MathOverflow))
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
    fn no_overflow_at_any_realistic_size() {
        // The whole u64 range into an empty pool: 1.8·10^25 shares.
        assert_eq!(
            shares_for_deposit(u64::MAX, 0, 0).unwrap(),
            u64::MAX as u128 * 1_000_000
        );
        assert_eq!(
            shares_for_deposit(1_000, u64::MAX, u64::MAX as u128).unwrap(),
            1_000
        );
        assert_eq!(
            value_of_shares(u64::MAX as u128, u64::MAX, 0).unwrap(),
            u64::MAX
        );
        assert!(shares_for_deposit(u64::MAX, 0, u128::MAX).is_err());
        assert!(mul_div_floor_u192(1, 1, 0).is_err());
        // 192-bit products, exactly: (2^64 - 1) · 2^100 / 2^90 = (2^64 - 1) · 2^10.
        assert_eq!(
            mul_div_floor_u192(u64::MAX, 1 << 100, 1 << 90).unwrap(),
            (u64::MAX as u128) << 10
        );
        assert_eq!(
            mul_div_floor_u192(u64::MAX, u128::MAX, u128::MAX).unwrap(),
            u64::MAX as u128
        );
        assert_eq!(
            mul_div_floor_u192(3, u128::MAX, 7).unwrap(),
            u128::MAX / 7 * 3 + (u128::MAX % 7) * 3 / 7
        );
    }

    use crate::math::mul_wide as wide;

    fn add_wide(x: (u128, u128), y: u128) -> (u128, u128) {
        let (lo, carry) = x.1.overflowing_add(y);
        (x.0 + carry as u128, lo)
    }

    #[test]
    fn wiped_out_pool_values_shares_at_zero() {
        assert_eq!(value_of_shares(1_000_000_000, 0, 1_000_000_000).unwrap(), 0);
    }

    /// M5: for 6- and 9-decimal mints, any deposit up to the largest deposit cap mints
    /// shares at any share price, including after the pool lost 99.9999 % (and again).
    #[test]
    fn any_deposit_succeeds_after_a_99_9999_percent_loss() {
        for decimals in [6u32, 9] {
            let unit = 10u64.pow(decimals);
            for first in [1u64, unit, 1_000_000 * unit, u64::MAX / 2] {
                let mut supply = shares_for_deposit(first, 0, 0).unwrap();
                let mut capital = first;
                for _ in 0..2 {
                    capital /= 1_000_000; // a 99.9999 % loss
                    for amount in [1u64, unit, 18_400 * unit, u64::MAX - capital] {
                        let minted = shares_for_deposit(amount, capital, supply).unwrap();
                        let value =
                            value_of_shares(minted, capital + amount, supply + minted).unwrap();
                        assert!(value <= amount);
                    }
                    supply += shares_for_deposit(u64::MAX / 4, capital, supply).unwrap();
                    capital += u64::MAX / 4;
                }
            }
        }
    }

    proptest! {
        /// Depositing and immediately redeeming never returns more than was paid.
        #[test]
        fn round_trip_never_profits(
            amount in 1u64..=1u64 << 50,
            capital in 0u64..=1u64 << 50,
            supply in 0u128..=1u128 << 100,
        ) {
            let Ok(shares) = shares_for_deposit(amount, capital, supply) else {
                return Ok(()); // more shares than u128 holds: refused, nothing to check
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
            supply in 1u128..=1u128 << 100,
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
        fn total_over_all_inputs(a: u64, c: u64, s: u128, v: u128) {
            let _ = shares_for_deposit(a, c, s);
            prop_assert!(value_of_shares(v, c, s).unwrap() <= c);
        }

        /// The long division is exact: q · d <= a · b < (q + 1) · d.
        #[test]
        fn u192_division_is_exact(a: u64, b: u128, d in 1u128..) {
            if let Ok(q) = mul_div_floor_u192(a, b, d) {
                let n = wide(a as u128, b);
                let low = wide(q, d);
                prop_assert!(low <= n);
                let high = add_wide(low, d);
                prop_assert!(n < high);
            } else {
                // Only when the quotient does not fit 128 bits.
                prop_assert!(wide(a as u128, b) >= wide(u128::MAX, d));
            }
        }
    }
}
