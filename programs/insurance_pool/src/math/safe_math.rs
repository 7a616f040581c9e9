//! Checked arithmetic that returns [`InsuranceError::MathOverflow`] instead of panicking,
//! and logs the caller's file and line so a failure can be traced to its formula.

use anchor_lang::prelude::*;

use crate::errors::InsuranceError;

/// Checked arithmetic on unsigned and signed integers.
pub trait SafeMath: Sized {
    /// `self + rhs`, or `MathOverflow`.
    fn safe_add(self, rhs: Self) -> Result<Self>;
    /// `self - rhs`, or `MathOverflow` if it would underflow.
    fn safe_sub(self, rhs: Self) -> Result<Self>;
    /// `self * rhs`, or `MathOverflow`.
    fn safe_mul(self, rhs: Self) -> Result<Self>;
    /// `self / rhs` rounded down, or `MathOverflow` when `rhs == 0`.
    fn safe_div(self, rhs: Self) -> Result<Self>;
}

#[track_caller]
fn overflow() -> Error {
    let at = std::panic::Location::caller();
    msg!("math error at {}:{}", at.file(), at.line());
    error!(InsuranceError::MathOverflow)
}

macro_rules! impl_safe_math {
    ($($t:ty),*) => {$(
        impl SafeMath for $t {
            #[track_caller]
            #[inline(always)]
            fn safe_add(self, rhs: Self) -> Result<Self> {
                self.checked_add(rhs).ok_or_else(overflow)
            }
            #[track_caller]
            #[inline(always)]
            fn safe_sub(self, rhs: Self) -> Result<Self> {
                self.checked_sub(rhs).ok_or_else(overflow)
            }
            #[track_caller]
            #[inline(always)]
            fn safe_mul(self, rhs: Self) -> Result<Self> {
                self.checked_mul(rhs).ok_or_else(overflow)
            }
            #[track_caller]
            #[inline(always)]
            fn safe_div(self, rhs: Self) -> Result<Self> {
                self.checked_div(rhs).ok_or_else(overflow)
            }
        }
    )*};
}

impl_safe_math!(u8, u16, u32, u64, u128, i64, i128);

/// `a * b / c` rounded down, computed in `u128` so the product never overflows.
/// Fails with `MathOverflow` if `c == 0` or the result does not fit in `u64`.
#[track_caller]
#[inline]
pub fn mul_div_floor(a: u64, b: u64, c: u64) -> Result<u64> {
    // Fast path: a 64-bit product needs no 128-bit division (same result).
    if let (Some(p), true) = (a.checked_mul(b), c != 0) {
        return Ok(p / c);
    }
    let q = (a as u128).safe_mul(b as u128)?.safe_div(c as u128)?;
    u64::try_from(q).map_err(|_| overflow())
}

/// `a * b / c` rounded up. Same failure modes as [`mul_div_floor`].
#[track_caller]
pub fn mul_div_ceil(a: u64, b: u64, c: u64) -> Result<u64> {
    if let (Some(p), true) = (a.checked_mul(b), c != 0) {
        return Ok(p.div_ceil(c));
    }
    let c128 = c as u128;
    let product = (a as u128).safe_mul(b as u128)?;
    let q = product.safe_add(c128.saturating_sub(1))?.safe_div(c128)?;
    u64::try_from(q).map_err(|_| overflow())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_overflow(r: Result<impl std::fmt::Debug>) -> bool {
        matches!(r, Err(e) if e == error!(InsuranceError::MathOverflow))
    }

    #[test]
    fn checked_ops_refuse_instead_of_panicking() {
        assert!(is_overflow(u64::MAX.safe_add(1)));
        assert!(is_overflow(0u64.safe_sub(1)));
        assert!(is_overflow(u64::MAX.safe_mul(2)));
        assert!(is_overflow(1u64.safe_div(0)));
        assert_eq!(2u64.safe_add(3).unwrap(), 5);
        assert_eq!(7u64.safe_div(2).unwrap(), 3);
    }

    #[test]
    fn mul_div_rounds_as_named() {
        assert_eq!(mul_div_floor(10, 10, 3).unwrap(), 33);
        assert_eq!(mul_div_ceil(10, 10, 3).unwrap(), 34);
        assert_eq!(mul_div_ceil(10, 9, 3).unwrap(), 30);
        assert_eq!(
            mul_div_floor(u64::MAX, u64::MAX, u64::MAX).unwrap(),
            u64::MAX
        );
        assert!(is_overflow(mul_div_floor(u64::MAX, 2, 1)));
        assert!(is_overflow(mul_div_floor(1, 1, 0)));
        assert!(is_overflow(mul_div_ceil(1, 1, 0)));
    }
}
