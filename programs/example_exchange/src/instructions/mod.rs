//! One module per instruction.

pub mod create_market;
pub mod deposit_collateral;
pub mod liquidate;
pub mod open_position;

pub use create_market::*;
pub use deposit_collateral::*;
pub use liquidate::*;
pub use open_position::*;
