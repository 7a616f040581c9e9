//! Instruction builders for every insurance pool instruction, from Anchor's generated
//! `accounts::*` and `instruction::*` types and the program's own PDA functions.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use insurance_pool::instructions::UpdateProtocolArgs;
use insurance_pool::state::{ExchangeLimits, PoolParams};
use insurance_pool::{accounts, instruction, pda};

/// Every address that belongs to one market's pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolKeys {
    pub market: Pubkey,
    pub pool: Pubkey,
    pub vault: Pubkey,
    pub mint: Pubkey,
    pub token_program: Pubkey,
    pub bond_vault: Pubkey,
    pub exposure: Pubkey,
}

impl PoolKeys {
    /// Derives the pool and vault of `market` for `mint` under `token_program`.
    pub fn new(market: Pubkey, mint: Pubkey, token_program: Pubkey) -> Self {
        let pool = pda::pool(&market).0;
        Self {
            market,
            pool,
            vault: pda::vault(&pool).0,
            bond_vault: pda::bond_vault(&pool).0,
            exposure: pda::exposure(&pool).0,
            mint,
            token_program,
        }
    }

    /// The member (coverage) account of `owner` in this pool.
    pub fn member(&self, owner: &Pubkey) -> Pubkey {
        pda::member(&self.pool, owner).0
    }

    /// The underwriter position of `owner` in this pool.
    pub fn underwriter(&self, owner: &Pubkey) -> Pubkey {
        pda::underwriter(&self.pool, owner).0
    }
}

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: insurance_pool::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// `upgrade_authority`: the program's upgrade authority (must sign).
pub fn initialize_protocol(
    payer: &Pubkey,
    upgrade_authority: &Pubkey,
    authority: Pubkey,
    guardian: Pubkey,
) -> Instruction {
    build(
        accounts::InitializeProtocol {
            payer: *payer,
            upgrade_authority: *upgrade_authority,
            program_data: pda::program_data(),
            protocol: pda::protocol().0,
            system_program: system_program::ID,
        },
        instruction::InitializeProtocol {
            authority,
            guardian,
        },
    )
}

pub fn update_protocol(authority: &Pubkey, args: UpdateProtocolArgs) -> Instruction {
    build(
        accounts::UpdateProtocol {
            authority: *authority,
            protocol: pda::protocol().0,
        },
        instruction::UpdateProtocol { args },
    )
}

pub fn accept_authority(new_authority: &Pubkey) -> Instruction {
    build(
        accounts::AcceptAuthority {
            new_authority: *new_authority,
            protocol: pda::protocol().0,
        },
        instruction::AcceptAuthority {},
    )
}

pub fn set_protocol_pause(signer: &Pubkey, flags: u8) -> Instruction {
    build(
        accounts::SetProtocolPause {
            signer: *signer,
            protocol: pda::protocol().0,
        },
        instruction::SetProtocolPause { flags },
    )
}

pub fn set_pool_pause(signer: &Pubkey, pool: &PoolKeys, flags: u8) -> Instruction {
    build(
        accounts::SetPoolPause {
            signer: *signer,
            protocol: pda::protocol().0,
            pool: pool.pool,
        },
        instruction::SetPoolPause { flags },
    )
}

pub fn create_pool(
    payer: &Pubkey,
    authority: &Pubkey,
    keys: &PoolKeys,
    params: PoolParams,
) -> Instruction {
    build(
        accounts::CreatePool {
            payer: *payer,
            authority: *authority,
            protocol: pda::protocol().0,
            pool: keys.pool,
            mint: keys.mint,
            vault: keys.vault,
            bond_vault: keys.bond_vault,
            exposure: keys.exposure,
            token_program: keys.token_program,
            system_program: system_program::ID,
        },
        instruction::CreatePool {
            market: keys.market,
            params,
        },
    )
}

pub fn update_pool_params(authority: &Pubkey, pool: &PoolKeys, params: PoolParams) -> Instruction {
    build(
        accounts::UpdatePoolParams {
            authority: *authority,
            protocol: pda::protocol().0,
            pool: pool.pool,
        },
        instruction::UpdatePoolParams { params },
    )
}

pub fn deposit(
    owner: &Pubkey,
    pool: &PoolKeys,
    owner_token: &Pubkey,
    amount: u64,
    min_shares: u128,
) -> Instruction {
    build(
        accounts::Deposit {
            owner: *owner,
            protocol: pda::protocol().0,
            pool: pool.pool,
            underwriter: pool.underwriter(owner),
            exposure: pool.exposure,
            owner_token: *owner_token,
            vault: pool.vault,
            mint: pool.mint,
            token_program: pool.token_program,
            system_program: system_program::ID,
        },
        instruction::Deposit { amount, min_shares },
    )
}

pub fn request_withdrawal(owner: &Pubkey, pool: &PoolKeys, shares: u128) -> Instruction {
    build(
        accounts::RequestWithdrawal {
            owner: *owner,
            protocol: pda::protocol().0,
            pool: pool.pool,
            underwriter: pool.underwriter(owner),
            exposure: pool.exposure,
        },
        instruction::RequestWithdrawal { shares },
    )
}

pub fn cancel_withdrawal(owner: &Pubkey, pool: &PoolKeys) -> Instruction {
    build(
        accounts::CancelWithdrawal {
            owner: *owner,
            pool: pool.pool,
            underwriter: pool.underwriter(owner),
        },
        instruction::CancelWithdrawal {},
    )
}

/// Expires `owner`'s lapsed withdrawal request (it stops counting as leaving); anyone
/// may send it (a keeper).
pub fn expire_withdrawal(owner: &Pubkey, pool: &PoolKeys) -> Instruction {
    build(
        accounts::ExpireWithdrawal {
            protocol: pda::protocol().0,
            pool: pool.pool,
            underwriter: pool.underwriter(owner),
        },
        instruction::ExpireWithdrawal {},
    )
}

pub fn complete_withdrawal(owner: &Pubkey, pool: &PoolKeys, destination: &Pubkey) -> Instruction {
    build(
        accounts::CompleteWithdrawal {
            owner: *owner,
            protocol: pda::protocol().0,
            pool: pool.pool,
            underwriter: pool.underwriter(owner),
            exposure: pool.exposure,
            destination: *destination,
            vault: pool.vault,
            mint: pool.mint,
            token_program: pool.token_program,
        },
        instruction::CompleteWithdrawal {},
    )
}

/// `member`: the caller's Member account, to quote a top-up of an active cover.
pub fn quote_premium(pool: &PoolKeys, member: Option<Pubkey>, notional: u64) -> Instruction {
    build(
        accounts::QuotePremium {
            protocol: pda::protocol().0,
            pool: pool.pool,
            exposure: pool.exposure,
            member,
        },
        instruction::QuotePremium { notional },
    )
}

/// `treasury_token`: the treasury's token account, needed when a protocol fee is due.
/// No bound on the cover's expiry: see [`contribute_premium_until`] for the documented
/// quote-then-buy flow.
pub fn contribute_premium(
    owner: &Pubkey,
    pool: &PoolKeys,
    owner_token: &Pubkey,
    treasury_token: Option<Pubkey>,
    notional: u64,
    max_premium: u64,
) -> Instruction {
    contribute_premium_until(
        owner,
        pool,
        owner_token,
        treasury_token,
        notional,
        max_premium,
        0,
    )
}

/// [`contribute_premium`] refused unless the cover ends at or after `min_expiry`
/// (pass the `coverage_expiry` of a quote made with the member's account: a cover
/// about to expire is then not silently turned into a short top-up).
pub fn contribute_premium_until(
    owner: &Pubkey,
    pool: &PoolKeys,
    owner_token: &Pubkey,
    treasury_token: Option<Pubkey>,
    notional: u64,
    max_premium: u64,
    min_expiry: i64,
) -> Instruction {
    build(
        accounts::ContributePremium {
            owner: *owner,
            protocol: pda::protocol().0,
            pool: pool.pool,
            member: pool.member(owner),
            exposure: pool.exposure,
            owner_token: *owner_token,
            vault: pool.vault,
            treasury_token,
            mint: pool.mint,
            token_program: pool.token_program,
            system_program: system_program::ID,
        },
        instruction::ContributePremium {
            notional,
            max_premium,
            min_expiry,
        },
    )
}

pub fn register_exchange(
    payer: &Pubkey,
    authority: &Pubkey,
    pool: &PoolKeys,
    exchange_authority: Pubkey,
    destination: &Pubkey,
    limits: ExchangeLimits,
) -> Instruction {
    build(
        accounts::RegisterExchange {
            payer: *payer,
            authority: *authority,
            protocol: pda::protocol().0,
            pool: pool.pool,
            registration: pda::exchange(&pool.pool, &exchange_authority).0,
            destination: *destination,
            system_program: system_program::ID,
        },
        instruction::RegisterExchange {
            exchange_authority,
            limits,
        },
    )
}

pub fn update_exchange(
    authority: &Pubkey,
    pool: &PoolKeys,
    registration: &Pubkey,
    destination: &Pubkey,
    limits: ExchangeLimits,
) -> Instruction {
    build(
        accounts::UpdateExchange {
            authority: *authority,
            protocol: pda::protocol().0,
            registration: *registration,
            pool: pool.pool,
            destination: *destination,
        },
        instruction::UpdateExchange { limits },
    )
}

pub fn deactivate_exchange(authority: &Pubkey, registration: &Pubkey) -> Instruction {
    build(
        accounts::DeactivateExchange {
            authority: *authority,
            protocol: pda::protocol().0,
            registration: *registration,
        },
        instruction::DeactivateExchange {},
    )
}

/// A direct `cover_shortfall` (exchanges normally reach it by CPI).
pub fn cover_shortfall(
    exchange_authority: &Pubkey,
    pool: &PoolKeys,
    registration: &Pubkey,
    destination: &Pubkey,
    amount: u64,
    nonce: u64,
) -> Instruction {
    build(
        accounts::CoverShortfall {
            exchange_authority: *exchange_authority,
            protocol: pda::protocol().0,
            pool: pool.pool,
            registration: *registration,
            destination: *destination,
            vault: pool.vault,
            mint: pool.mint,
            token_program: pool.token_program,
        },
        instruction::CoverShortfall { amount, nonce },
    )
}

/// A direct `contribute_volume` (exchanges normally reach it by CPI): the fee on
/// `volume` from `source` (owned by `exchange_authority`), refused above `max_rate_bps`.
/// `treasury_token`: the treasury's token account, needed when a protocol fee is due.
#[allow(clippy::too_many_arguments)]
pub fn contribute_volume(
    exchange_authority: &Pubkey,
    pool: &PoolKeys,
    registration: &Pubkey,
    source: &Pubkey,
    treasury_token: Option<Pubkey>,
    volume: u64,
    max_rate_bps: u64,
) -> Instruction {
    build(
        accounts::ContributeVolume {
            exchange_authority: *exchange_authority,
            protocol: pda::protocol().0,
            pool: pool.pool,
            registration: *registration,
            exposure: pool.exposure,
            source: *source,
            vault: pool.vault,
            treasury_token,
            mint: pool.mint,
            token_program: pool.token_program,
        },
        instruction::ContributeVolume {
            volume,
            max_rate_bps,
        },
    )
}

/// Quote of the volume fee on `volume` (return data: `VolumeQuote`).
pub fn quote_volume(pool: &PoolKeys, volume: u64) -> Instruction {
    build(
        accounts::QuoteVolume {
            protocol: pda::protocol().0,
            pool: pool.pool,
            exposure: pool.exposure,
        },
        instruction::QuoteVolume { volume },
    )
}

/// The claim `claimant` filed as its `id`-th (from 0) in this pool.
pub fn claim_address(pool: &PoolKeys, claimant: &Pubkey, id: u64) -> Pubkey {
    pda::claim(&pool.pool, claimant, id).0
}

/// `id`: the claimant's own claim index (its `Member::claim_count`).
pub fn file_claim(
    claimant: &Pubkey,
    pool: &PoolKeys,
    id: u64,
    claimant_token: &Pubkey,
    amount: u64,
    evidence_hash: [u8; 32],
    uri: &str,
) -> Instruction {
    build(
        accounts::FileClaim {
            claimant: *claimant,
            protocol: pda::protocol().0,
            pool: pool.pool,
            member: pool.member(claimant),
            claim: claim_address(pool, claimant, id),
            claimant_token: *claimant_token,
            bond_vault: pool.bond_vault,
            mint: pool.mint,
            token_program: pool.token_program,
            system_program: system_program::ID,
        },
        instruction::FileClaim {
            amount,
            evidence_hash,
            uri: uri.to_string(),
        },
    )
}

pub fn cast_vote(voter: &Pubkey, pool: &PoolKeys, claim: &Pubkey, approve: bool) -> Instruction {
    build(
        accounts::CastVote {
            voter: *voter,
            protocol: pda::protocol().0,
            pool: pool.pool,
            claim: *claim,
            underwriter: pool.underwriter(voter),
            vote_record: pda::vote(claim, voter).0,
            system_program: system_program::ID,
        },
        instruction::CastVote { approve },
    )
}

/// `claimant`: the claim's claimant (its Member account is touched).
pub fn finalize_claim(pool: &PoolKeys, claim: &Pubkey, claimant: &Pubkey) -> Instruction {
    build(
        accounts::FinalizeClaim {
            protocol: pda::protocol().0,
            pool: pool.pool,
            claim: *claim,
            member: pool.member(claimant),
        },
        instruction::FinalizeClaim {},
    )
}

pub fn veto_claim(
    guardian: &Pubkey,
    pool: &PoolKeys,
    claim: &Pubkey,
    claimant: &Pubkey,
) -> Instruction {
    build(
        accounts::VetoClaim {
            guardian: *guardian,
            protocol: pda::protocol().0,
            pool: pool.pool,
            claim: *claim,
            member: pool.member(claimant),
        },
        instruction::VetoClaim {},
    )
}

pub fn pay_claim(
    pool: &PoolKeys,
    claim: &Pubkey,
    claimant: &Pubkey,
    claimant_token: &Pubkey,
) -> Instruction {
    build(
        accounts::PayClaim {
            protocol: pda::protocol().0,
            pool: pool.pool,
            claim: *claim,
            member: pool.member(claimant),
            claimant_token: *claimant_token,
            vault: pool.vault,
            mint: pool.mint,
            token_program: pool.token_program,
        },
        instruction::PayClaim {},
    )
}

pub fn cancel_claim(claimant: &Pubkey, pool: &PoolKeys, claim: &Pubkey) -> Instruction {
    build(
        accounts::CancelClaim {
            claimant: *claimant,
            pool: pool.pool,
            claim: *claim,
            member: pool.member(claimant),
        },
        instruction::CancelClaim {},
    )
}

pub fn withdraw_bond(pool: &PoolKeys, claim: &Pubkey, claimant_token: &Pubkey) -> Instruction {
    build(
        accounts::WithdrawBond {
            pool: pool.pool,
            claim: *claim,
            claimant_token: *claimant_token,
            bond_vault: pool.bond_vault,
            vault: pool.vault,
            mint: pool.mint,
            token_program: pool.token_program,
        },
        instruction::WithdrawBond {},
    )
}
