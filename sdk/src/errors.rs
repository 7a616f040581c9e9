//! Decoding program errors: a custom error code from a failed transaction to its name
//! and message.

use std::sync::OnceLock;

/// Anchor's first custom error code.
pub const ERROR_CODE_OFFSET: u32 = 6000;

/// The committed IDLs (`idl/*.json`, checked against a fresh `idl-build` in CI): the
/// programs' errors are read from them, so no list is kept by hand here.
const INSURANCE_IDL: &str = include_str!("../../idl/insurance_pool.json");
const EXCHANGE_IDL: &str = include_str!("../../idl/example_exchange.json");

#[derive(serde::Deserialize)]
struct Idl {
    #[serde(default)]
    errors: Vec<IdlError>,
}

#[derive(serde::Deserialize)]
struct IdlError {
    code: u32,
    name: String,
    #[serde(default)]
    msg: String,
}

/// The errors an IDL declares, parsed once.
fn errors_of(
    idl: &'static str,
    cell: &'static OnceLock<Vec<DecodedError>>,
) -> &'static [DecodedError] {
    cell.get_or_init(|| {
        let idl: Idl = serde_json::from_str(idl).expect("the committed IDL is valid JSON");
        idl.errors
            .into_iter()
            .map(|e| DecodedError {
                code: e.code,
                name: e.name,
                message: e.msg,
            })
            .collect()
    })
}

/// Every error of the insurance pool program, in code order (from its IDL).
pub fn insurance_errors() -> &'static [DecodedError] {
    static CELL: OnceLock<Vec<DecodedError>> = OnceLock::new();
    errors_of(INSURANCE_IDL, &CELL)
}

/// Every error of the example exchange program, in code order (from its IDL).
pub fn exchange_errors() -> &'static [DecodedError] {
    static CELL: OnceLock<Vec<DecodedError>> = OnceLock::new();
    errors_of(EXCHANGE_IDL, &CELL)
}

/// A decoded error: which program raised it, its name and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedError {
    pub code: u32,
    pub name: String,
    pub message: String,
}

impl std::fmt::Display for DecodedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.name, self.code, self.message)
    }
}

/// Anchor's own errors that the programs' account checks can raise. Anchor's
/// `ErrorCode` has no code-to-variant conversion (and they are in no IDL), so these are
/// listed; each decodes to Anchor's own name and message.
pub const ANCHOR_ERRORS: &[anchor_lang::error::ErrorCode] = {
    use anchor_lang::error::ErrorCode as E;
    &[
        E::InstructionFallbackNotFound,
        E::InstructionDidNotDeserialize,
        E::ConstraintMut,
        E::ConstraintHasOne,
        E::ConstraintSigner,
        E::ConstraintRaw,
        E::ConstraintSeeds,
        E::ConstraintAddress,
        E::ConstraintTokenMint,
        E::ConstraintTokenOwner,
        E::ConstraintMintTokenProgram,
        E::ConstraintAccountIsNone,
        E::ConstraintDuplicateMutableAccount,
        E::AccountDiscriminatorNotFound,
        E::AccountDiscriminatorMismatch,
        E::AccountNotEnoughKeys,
        E::AccountNotMutable,
        E::AccountOwnedByWrongProgram,
        E::InvalidProgramId,
        E::AccountNotSigner,
        E::AccountNotInitialized,
    ]
};

/// Decodes a custom error code of the insurance pool program, or one of Anchor's own
/// account-check errors ([`ANCHOR_ERRORS`]).
pub fn decode(code: u32) -> Option<DecodedError> {
    find(insurance_errors(), code).or_else(|| decode_anchor(code))
}

/// Decodes a custom error code raised by the example exchange program, or one of
/// Anchor's.
pub fn decode_exchange(code: u32) -> Option<DecodedError> {
    find(exchange_errors(), code).or_else(|| decode_anchor(code))
}

/// Decodes `code` as raised by `program` (custom codes overlap between programs).
pub fn decode_for(program: &anchor_lang::prelude::Pubkey, code: u32) -> Option<DecodedError> {
    if *program == example_exchange::ID {
        decode_exchange(code)
    } else {
        decode(code)
    }
}

fn find(errors: &[DecodedError], code: u32) -> Option<DecodedError> {
    errors.iter().find(|e| e.code == code).cloned()
}

fn decode_anchor(code: u32) -> Option<DecodedError> {
    let anchor = ANCHOR_ERRORS.iter().find(|e| u32::from(**e) == code)?;
    Some(DecodedError {
        code,
        name: anchor.name(),
        message: anchor.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use example_exchange::errors::ExchangeError;
    use insurance_pool::errors::InsuranceError;

    /// The IDL's table is the program's: codes contiguous from 6000, and the names and
    /// messages the program's own enum gives (spot checks at both ends).
    #[test]
    fn the_tables_are_the_programs() {
        for table in [insurance_errors(), exchange_errors()] {
            assert!(!table.is_empty());
            for (i, e) in table.iter().enumerate() {
                assert_eq!(e.code, ERROR_CODE_OFFSET + i as u32, "{}", e.name);
            }
        }
        for e in [
            InsuranceError::MathOverflow,
            InsuranceError::ExposureCapExceeded,
            InsuranceError::InvalidVolumeDecay,
        ] {
            let d = decode(u32::from(e)).unwrap();
            assert_eq!((d.name, d.message), (e.name(), e.to_string()));
        }
        let e = ExchangeError::WrongRegistration;
        let d = decode_exchange(u32::from(e)).unwrap();
        assert_eq!((d.name, d.message), (e.name(), e.to_string()));
    }

    #[test]
    fn decodes_per_program_and_anchor_errors() {
        assert_eq!(
            decode_for(&example_exchange::ID, 6007).unwrap().name,
            "NotLiquidatable"
        );
        assert_eq!(
            decode_for(&insurance_pool::ID, 6007).unwrap().name,
            "NotPendingAuthority"
        );
        let d = decode(6000).unwrap();
        assert_eq!(
            (d.name.as_str(), d.message.as_str()),
            ("MathOverflow", "Arithmetic overflow or division by zero")
        );
        assert_eq!(decode(2006).unwrap().name, "ConstraintSeeds");
        assert_eq!(decode_exchange(3012).unwrap().name, "AccountNotInitialized");
        assert!(decode(6000 + insurance_errors().len() as u32).is_none());
        assert!(decode(1).is_none());
    }
}
