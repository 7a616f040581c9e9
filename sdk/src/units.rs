//! Token amounts as people write them: `1500.25` in a mint of 6 decimals is
//! `1_500_250_000` base units. Exact decimal parsing and printing (no floats): a value
//! with more fractional digits than the mint has, or one beyond `u64`, is refused
//! rather than rounded.

/// Why a token amount does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    /// Not digits with at most one `.` (commas, signs, exponents are refused).
    Malformed(String),
    /// More fractional digits than the mint's decimals.
    TooPrecise { amount: String, decimals: u8 },
    /// Beyond `u64::MAX` base units.
    TooLarge(String),
}

impl std::fmt::Display for AmountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed(s) => write!(f, "`{s}` is not an amount (digits, one optional `.`)"),
            Self::TooPrecise { amount, decimals } => {
                write!(f, "`{amount}` has more than the mint's {decimals} decimals")
            }
            Self::TooLarge(s) => write!(f, "`{s}` is more base units than a u64 holds"),
        }
    }
}

impl std::error::Error for AmountError {}

/// Base units of `amount` (e.g. `"1500.25"`, `"7"`, `".5"`) in a mint of `decimals`.
pub fn parse_amount(amount: &str, decimals: u8) -> Result<u64, AmountError> {
    let malformed = || AmountError::Malformed(amount.to_string());
    let (whole, frac) = match amount.split_once('.') {
        Some((w, f)) => (w, f),
        None => (amount, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return Err(malformed());
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > decimals as usize {
        return Err(AmountError::TooPrecise {
            amount: amount.to_string(),
            decimals,
        });
    }
    let too_large = || AmountError::TooLarge(amount.to_string());
    let scale = 10u64.checked_pow(decimals as u32).ok_or_else(too_large)?;
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_large())?
    };
    let frac_units: u64 = if frac.is_empty() {
        0
    } else {
        // `frac` has at most `decimals` digits: pad it to exactly that many.
        let padded = format!("{frac:0<width$}", width = decimals as usize);
        padded.parse().map_err(|_| too_large())?
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_units))
        .ok_or_else(too_large)
}

/// `units` base units written in token units with the mint's `decimals`, without
/// trailing fractional zeros (`1_500_250_000`, 6 → `"1500.25"`).
pub fn format_amount(units: u64, decimals: u8) -> String {
    if decimals == 0 {
        return units.to_string();
    }
    let digits = format!("{units:0>width$}", width = decimals as usize + 1);
    let (whole, frac) = digits.split_at(digits.len() - decimals as usize);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_token_units_exactly() {
        assert_eq!(parse_amount("1500.25", 6), Ok(1_500_250_000));
        assert_eq!(parse_amount("7", 6), Ok(7_000_000));
        assert_eq!(parse_amount(".5", 2), Ok(50));
        assert_eq!(parse_amount("3.", 2), Ok(300));
        assert_eq!(parse_amount("0.000001", 6), Ok(1));
        assert_eq!(
            parse_amount("1.10", 1),
            Ok(11),
            "trailing zeros are not precision"
        );
        assert_eq!(parse_amount("42", 0), Ok(42));
        assert_eq!(parse_amount("18446744073709551615", 0), Ok(u64::MAX));
        assert_eq!(parse_amount("18446744073709.551615", 6), Ok(u64::MAX));
    }

    #[test]
    fn refuses_what_it_cannot_represent() {
        for bad in ["", ".", "1,5", "-1", "+1", "1e6", "1.2.3", " 1", "0x10"] {
            assert!(
                matches!(parse_amount(bad, 6), Err(AmountError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_amount("0.0000001", 6),
            Err(AmountError::TooPrecise { .. })
        ));
        assert!(matches!(
            parse_amount("0.5", 0),
            Err(AmountError::TooPrecise { .. })
        ));
        assert!(matches!(
            parse_amount("18446744073709.551616", 6),
            Err(AmountError::TooLarge(_))
        ));
        assert!(matches!(
            parse_amount("99999999999999999999", 0),
            Err(AmountError::TooLarge(_))
        ));
        assert!(matches!(
            parse_amount("1", 20),
            Err(AmountError::TooLarge(_))
        ));
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_amount(1_500_250_000, 6), "1500.25");
        assert_eq!(format_amount(7_000_000, 6), "7");
        assert_eq!(format_amount(1, 6), "0.000001");
        assert_eq!(format_amount(0, 6), "0");
        assert_eq!(format_amount(42, 0), "42");
        assert_eq!(format_amount(u64::MAX, 19), "1.8446744073709551615");
        for (units, decimals) in [(0, 9), (1, 9), (123_456_789, 3), (u64::MAX, 6), (10, 1)] {
            assert_eq!(
                parse_amount(&format_amount(units, decimals), decimals),
                Ok(units)
            );
        }
    }
}
