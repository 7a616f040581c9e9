//! Program addresses, derived once and remembered (deriving one costs more than most
//! of a step's host-side work).

use std::cell::RefCell;
use std::collections::HashMap;

use anchor_lang::prelude::Pubkey;

type Key = (u8, Pubkey, Pubkey, u64);

thread_local! {
    static CACHE: RefCell<HashMap<Key, (Pubkey, u8)>> = RefCell::new(HashMap::new());
}

fn cached(key: Key, derive: impl FnOnce() -> (Pubkey, u8)) -> (Pubkey, u8) {
    if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).copied()) {
        return hit;
    }
    let value = derive();
    CACHE.with(|c| c.borrow_mut().insert(key, value));
    value
}

/// `["underwriter", pool, owner]`.
pub fn underwriter(pool: &Pubkey, owner: &Pubkey) -> (Pubkey, u8) {
    cached((0, *pool, *owner, 0), || {
        insurance_pool::pda::underwriter(pool, owner)
    })
}

/// `["member", pool, owner]`.
pub fn member(pool: &Pubkey, owner: &Pubkey) -> (Pubkey, u8) {
    cached((1, *pool, *owner, 0), || {
        insurance_pool::pda::member(pool, owner)
    })
}

/// `["claim", pool, claimant, id]`.
pub fn claim(pool: &Pubkey, claimant: &Pubkey, id: u64) -> (Pubkey, u8) {
    cached((2, *pool, *claimant, id), || {
        insurance_pool::pda::claim(pool, claimant, id)
    })
}

/// `["vote", claim, voter]`.
pub fn vote(claim: &Pubkey, voter: &Pubkey) -> (Pubkey, u8) {
    cached((3, *claim, *voter, 0), || {
        insurance_pool::pda::vote(claim, voter)
    })
}

/// `["exchange", pool, exchange_authority]`.
pub fn exchange(pool: &Pubkey, authority: &Pubkey) -> (Pubkey, u8) {
    cached((4, *pool, *authority, 0), || {
        insurance_pool::pda::exchange(pool, authority)
    })
}

/// The example exchange's `["position", market, owner]`.
pub fn position(market: &Pubkey, owner: &Pubkey) -> (Pubkey, u8) {
    cached((5, *market, *owner, 0), || {
        Pubkey::find_program_address(
            &[
                example_exchange::seeds::POSITION,
                market.as_ref(),
                owner.as_ref(),
            ],
            &example_exchange::ID,
        )
    })
}
