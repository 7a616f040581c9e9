//! Decoding program errors: a custom error code from a failed transaction to its name
//! and message.

use example_exchange::errors::ExchangeError;
use insurance_pool::errors::InsuranceError;

/// Anchor's first custom error code.
pub const ERROR_CODE_OFFSET: u32 = 6000;

/// Every [`InsuranceError`], in code order (a test checks it against the program's
/// `errors.rs`, so a new variant cannot be forgotten here).
pub const ALL: &[InsuranceError] = &[
    InsuranceError::MathOverflow,
    InsuranceError::Unauthorized,
    InsuranceError::NotAuthorityOrGuardian,
    InsuranceError::GuardianCannotUnpause,
    InsuranceError::InvalidPauseFlags,
    InsuranceError::InvalidAddress,
    InsuranceError::NoPendingAuthority,
    InsuranceError::NotPendingAuthority,
    InsuranceError::InvalidCooldown,
    InsuranceError::InvalidDepositCap,
    InsuranceError::InvalidMinDeposit,
    InsuranceError::UnsupportedMintExtension,
    InsuranceError::WrongMint,
    InsuranceError::WrongVault,
    InsuranceError::WrongTokenProgram,
    InsuranceError::WrongTokenOwner,
    InsuranceError::Paused,
    InsuranceError::ZeroAmount,
    InsuranceError::DepositTooSmall,
    InsuranceError::DepositCapExceeded,
    InsuranceError::SlippageExceeded,
    InsuranceError::ZeroShares,
    InsuranceError::InsufficientShares,
    InsuranceError::WithdrawalAlreadyPending,
    InsuranceError::NoPendingWithdrawal,
    InsuranceError::CooldownNotElapsed,
    InsuranceError::WrongUnderwriter,
    InsuranceError::InvalidRateBounds,
    InsuranceError::InvalidBaseRate,
    InsuranceError::InvalidKink,
    InsuranceError::InvalidSlope,
    InsuranceError::InvalidRateChange,
    InsuranceError::InvalidCoverageDuration,
    InsuranceError::InvalidExposureCap,
    InsuranceError::InvalidProtocolFee,
    InsuranceError::ExposureCapExceeded,
    InsuranceError::PremiumAboveMaximum,
    InsuranceError::MissingTreasuryAccount,
    InsuranceError::WrongTreasuryAccount,
    InsuranceError::WrongMember,
    InsuranceError::InvalidExchangeCaps,
    InsuranceError::InvalidEpochLength,
    InsuranceError::WrongExchangeRegistration,
    InsuranceError::WrongExchangeAuthority,
    InsuranceError::ExchangeInactive,
    InsuranceError::InvalidNonce,
    InsuranceError::WrongDestination,
    InsuranceError::InvalidVotingPeriod,
    InsuranceError::InvalidHoldup,
    InsuranceError::InvalidThreshold,
    InsuranceError::InvalidBond,
    InsuranceError::NotCovered,
    InsuranceError::ClaimAboveCoverage,
    InsuranceError::ClaimAlreadyOpen,
    InsuranceError::UriTooLong,
    InsuranceError::ClaimNotVoting,
    InsuranceError::VotingClosed,
    InsuranceError::VotingNotOver,
    InsuranceError::AlreadyVoted,
    InsuranceError::NoVotingWeight,
    InsuranceError::VoteWeightTooNew,
    InsuranceError::VoteLocked,
    InsuranceError::ClaimNotApproved,
    InsuranceError::HoldupActive,
    InsuranceError::HoldupOver,
    InsuranceError::ClaimHasVotes,
    InsuranceError::BondAlreadySettled,
    InsuranceError::ClaimStillOpen,
    InsuranceError::WrongClaimant,
    InsuranceError::NotGuardian,
    InsuranceError::ReservedForClaims,
    InsuranceError::WrongClaim,
    InsuranceError::WrongExposure,
    InsuranceError::InvalidWithdrawalWindow,
    InsuranceError::InvalidDepositLock,
    InsuranceError::InvalidClaimWaitingPeriod,
    InsuranceError::InvalidStakeAge,
    InsuranceError::InvalidMaxClaim,
    InsuranceError::StakeAgeImmutable,
    InsuranceError::DepositLocked,
    InsuranceError::WithdrawalLapsed,
    InsuranceError::WithdrawalBreachesExposureCap,
    InsuranceError::ForbiddenDestination,
    InsuranceError::ClaimTooLarge,
    InsuranceError::ClaimantCannotVote,
    InsuranceError::CoverCannotMature,
    InsuranceError::CoverageEndsTooSoon,
    InsuranceError::CancelWindowOver,
    InsuranceError::ExchangeAuthorityNotPda,
    InsuranceError::InvalidExchangeBps,
    InsuranceError::NotUpgradeAuthority,
    InsuranceError::NotAssociatedTokenAccount,
    InsuranceError::HoldupDepositsClosed,
    InsuranceError::InvalidVolumeRates,
    InsuranceError::InvalidVolumeSlope,
    InsuranceError::ExchangeNotYetActive,
    InsuranceError::VolumeRateAboveMaximum,
    InsuranceError::InvalidVolumeDecay,
];

/// Every example-exchange error, in code order (checked against its `errors.rs`).
pub const EXCHANGE_ALL: &[ExchangeError] = &[
    ExchangeError::MathOverflow,
    ExchangeError::ZeroAmount,
    ExchangeError::InvalidParams,
    ExchangeError::InvalidOrder,
    ExchangeError::PositionOpen,
    ExchangeError::NoOpenPosition,
    ExchangeError::LeverageTooHigh,
    ExchangeError::NotLiquidatable,
    ExchangeError::WrongInsurancePool,
    ExchangeError::MissingCoverResult,
    ExchangeError::StalePrice,
    ExchangeError::WrongOracleAuthority,
    ExchangeError::WrongPriceFeed,
    ExchangeError::InvalidPrice,
    ExchangeError::InsufficientCollateral,
    ExchangeError::WrongRegistration,
];

/// Decodes a custom error code raised by the example exchange program.
pub fn decode_exchange(code: u32) -> Option<DecodedError> {
    let e = EXCHANGE_ALL.get(code.checked_sub(ERROR_CODE_OFFSET)? as usize)?;
    Some(DecodedError {
        code,
        name: e.name(),
        message: e.to_string(),
    })
}

/// Decodes `code` as raised by `program` (custom codes overlap between programs).
pub fn decode_for(program: &anchor_lang::prelude::Pubkey, code: u32) -> Option<DecodedError> {
    if *program == example_exchange::ID {
        decode_exchange(code)
    } else {
        decode(code)
    }
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

/// The insurance pool error with custom code `code`, if it is one.
pub fn insurance_error(code: u32) -> Option<InsuranceError> {
    let index = code.checked_sub(ERROR_CODE_OFFSET)? as usize;
    ALL.get(index).copied()
}

/// Anchor's own errors that the program's account checks can raise.
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
    if let Some(e) = insurance_error(code) {
        return Some(DecodedError {
            code,
            name: e.name(),
            message: e.to_string(),
        });
    }
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

    #[test]
    fn the_table_matches_the_program() {
        let source = include_str!("../../programs/insurance_pool/src/errors.rs");
        assert_eq!(
            ALL.len(),
            source.matches("#[msg(").count(),
            "a variant is missing from ALL"
        );
        for (i, e) in ALL.iter().enumerate() {
            assert_eq!(
                u32::from(*e),
                ERROR_CODE_OFFSET + i as u32,
                "{} out of order",
                e.name()
            );
        }
    }

    #[test]
    fn the_exchange_table_matches_its_program() {
        let source = include_str!("../../programs/example_exchange/src/errors.rs");
        assert_eq!(EXCHANGE_ALL.len(), source.matches("#[msg(").count());
        for (i, e) in EXCHANGE_ALL.iter().enumerate() {
            assert_eq!(u32::from(*e), ERROR_CODE_OFFSET + i as u32);
        }
        let d = decode_for(&example_exchange::ID, 6007).unwrap();
        assert_eq!(d.name, "NotLiquidatable");
        assert_eq!(
            decode_for(&insurance_pool::ID, 6007).unwrap().name,
            "NotPendingAuthority"
        );
    }

    #[test]
    fn decodes_program_and_anchor_errors() {
        let d = decode(6000).unwrap();
        assert_eq!(
            (d.name.as_str(), d.message.as_str()),
            ("MathOverflow", "Arithmetic overflow or division by zero")
        );
        let d = decode(u32::from(InsuranceError::ExposureCapExceeded)).unwrap();
        assert_eq!(d.name, "ExposureCapExceeded");
        assert_eq!(decode(2006).unwrap().name, "ConstraintSeeds");
        assert!(decode(6000 + ALL.len() as u32).is_none());
        assert!(decode(1).is_none());
    }
}
