//! Address derivation for every PDA of the program, from the seeds in
//! [`crate::constants`]. Used by the tests and off-chain clients.

use anchor_lang::prelude::*;

use crate::constants::{
    EXCHANGE_SEED, MEMBER_SEED, POOL_SEED, PROTOCOL_SEED, UNDERWRITER_SEED, VAULT_SEED,
};

/// `["protocol"]`.
pub fn protocol() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[PROTOCOL_SEED], &crate::ID)
}

/// `["pool", market]`.
pub fn pool(market: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[POOL_SEED, market.as_ref()], &crate::ID)
}

/// `["vault", pool]`.
pub fn vault(pool: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[VAULT_SEED, pool.as_ref()], &crate::ID)
}

/// `["underwriter", pool, owner]`.
pub fn underwriter(pool: &Pubkey, owner: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[UNDERWRITER_SEED, pool.as_ref(), owner.as_ref()],
        &crate::ID,
    )
}

/// `["member", pool, owner]`.
pub fn member(pool: &Pubkey, owner: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[MEMBER_SEED, pool.as_ref(), owner.as_ref()], &crate::ID)
}

/// `["exposure", pool]`.
pub fn exposure(pool: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[crate::constants::EXPOSURE_SEED, pool.as_ref()],
        &crate::ID,
    )
}

/// `["bonds", pool]`.
pub fn bond_vault(pool: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[crate::constants::BOND_VAULT_SEED, pool.as_ref()],
        &crate::ID,
    )
}

/// `["claim", pool, claimant, id]` (`id`: the claimant's own claim index).
pub fn claim(pool: &Pubkey, claimant: &Pubkey, id: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[
            crate::constants::CLAIM_SEED,
            pool.as_ref(),
            claimant.as_ref(),
            &id.to_le_bytes(),
        ],
        &crate::ID,
    )
}

/// `["vote", claim, voter]`.
pub fn vote(claim: &Pubkey, voter: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[crate::constants::VOTE_SEED, claim.as_ref(), voter.as_ref()],
        &crate::ID,
    )
}

/// `["exchange", pool, exchange_authority]`.
pub fn exchange(pool: &Pubkey, exchange_authority: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[EXCHANGE_SEED, pool.as_ref(), exchange_authority.as_ref()],
        &crate::ID,
    )
}

/// This program's ProgramData account under the upgradeable loader (`[program_id]`),
/// which names its upgrade authority.
pub fn program_data() -> Pubkey {
    Pubkey::find_program_address(
        &[crate::ID.as_ref()],
        &anchor_lang::solana_program::bpf_loader_upgradeable::ID,
    )
    .0
}

/// `owner`'s associated token account of `mint` under `token_program`
/// (`[owner, token_program, mint]` under the associated token program).
pub fn associated_token(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), token_program.as_ref(), mint.as_ref()],
        &crate::constants::ASSOCIATED_TOKEN_PROGRAM,
    )
    .0
}

#[cfg(test)]
mod tests {
    #[test]
    fn compile_time_protocol_address_matches_runtime_derivation() {
        assert_eq!(crate::constants::PROTOCOL_ADDRESS, super::protocol().0);
    }
}
