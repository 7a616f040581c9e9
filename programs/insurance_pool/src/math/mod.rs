//! All arithmetic of the program: pure, checked functions with explicit rounding.
//! Off-chain crates use these same functions (through the `cpi`/`no-entrypoint` build of
//! this crate) so quotes and simulations can never drift from what the program does.

pub mod exposure;
pub mod governance;
pub mod premium;
pub mod safe_math;
pub mod shares;
pub mod shortfall;
pub mod stake;
pub mod volume;

pub use exposure::*;
pub use governance::*;
pub use premium::*;
pub use safe_math::SafeMath;
pub use shares::*;
pub use shortfall::*;
pub use stake::*;
pub use volume::*;
