//! One module per instruction.

pub mod create_market;
pub mod deposit_collateral;
pub mod liquidate;
pub mod open_position;
pub mod set_price;

pub use create_market::*;
pub use deposit_collateral::*;
pub use liquidate::*;
pub use open_position::*;
pub use set_price::*;
