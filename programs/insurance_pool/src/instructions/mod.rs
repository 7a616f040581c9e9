//! One module per instruction: its accounts, its checks (`validate`) and its handler.

pub mod accept_authority;
pub mod cancel_withdrawal;
pub mod complete_withdrawal;
pub mod contribute_premium;
pub mod cover_shortfall;
pub mod create_pool;
pub mod deactivate_exchange;
pub mod deposit;
pub mod initialize_protocol;
pub mod quote_premium;
pub mod register_exchange;
pub mod request_withdrawal;
pub mod set_pool_pause;
pub mod set_protocol_pause;
pub mod update_exchange;
pub mod update_pool_params;
pub mod update_protocol;

pub use accept_authority::*;
pub use cancel_withdrawal::*;
pub use complete_withdrawal::*;
pub use contribute_premium::*;
pub use cover_shortfall::*;
pub use create_pool::*;
pub use deactivate_exchange::*;
pub use deposit::*;
pub use initialize_protocol::*;
pub use quote_premium::*;
pub use register_exchange::*;
pub use request_withdrawal::*;
pub use set_pool_pause::*;
pub use set_protocol_pause::*;
pub use update_exchange::*;
pub use update_pool_params::*;
pub use update_protocol::*;
