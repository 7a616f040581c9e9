use anchor_lang::prelude::*;

/// Errors of the example exchange.
#[error_code]
pub enum ExchangeError {
    #[msg("Arithmetic overflow")]
    MathOverflow,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Maintenance margin must be in [1, 10000] bps, leverage in [1, 100], price age in [1, 3600] s, and the oracle authority set")]
    InvalidParams,
    #[msg("Size must be non-zero")]
    InvalidOrder,
    #[msg("The position is already open")]
    PositionOpen,
    #[msg("No open position")]
    NoOpenPosition,
    #[msg("Notional exceeds collateral times the maximum leverage")]
    LeverageTooHigh,
    #[msg("Equity is above the maintenance margin")]
    NotLiquidatable,
    #[msg("Insurance accounts do not belong to this market")]
    WrongInsurancePool,
    #[msg("The insurance pool returned no cover result")]
    MissingCoverResult,
    #[msg("The oracle price is older than the market's staleness limit (or was never published)")]
    StalePrice,
    #[msg("Signer is not the market's oracle authority")]
    WrongOracleAuthority,
    #[msg("Price account does not belong to this market")]
    WrongPriceFeed,
    #[msg(
        "Price must be non-zero, published no later than now and no earlier than the current one"
    )]
    InvalidPrice,
    #[msg("Collateral after the insurance fee does not cover the maintenance margin")]
    InsufficientCollateral,
    #[msg("The insurance registration or protocol account is not this market's")]
    WrongRegistration,
}
