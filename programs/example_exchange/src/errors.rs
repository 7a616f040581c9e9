use anchor_lang::prelude::*;

/// Errors of the example exchange.
#[error_code]
pub enum ExchangeError {
    #[msg("Arithmetic overflow")]
    MathOverflow,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Maintenance margin must be in [1, 10000] bps and leverage in [1, 100]")]
    InvalidParams,
    #[msg("Size and price must be non-zero")]
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
}
