//! Program accounts: one file per account type.

pub mod pool;
pub mod protocol;
pub mod underwriter;

pub use pool::*;
pub use protocol::*;
pub use underwriter::*;
