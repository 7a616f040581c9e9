use crate::prelude::*;
use crate::token::pay_from_pool;

/// Anyone, once a claim is settled: returns its bond to the claimant's associated token
/// account (Paid, Cancelled, or Rejected without fraud), or slashes it into the pool's capital
/// (Vetoed, or Rejected as fraud). An Approved claim is not settled: the guardian may
/// still veto it, so its bond stays until it is paid. Each bond is settled once.
#[derive(Accounts)]
pub struct WithdrawBond<'info> {
    #[account(
        mut,
        has_one = mint @ InsuranceError::WrongMint,
        has_one = vault @ InsuranceError::WrongVault,
        has_one = bond_vault @ InsuranceError::WrongVault,
        has_one = token_program @ InsuranceError::WrongTokenProgram,
    )]
    pub pool: AccountLoader<'info, Pool>,
    #[account(mut, has_one = pool @ InsuranceError::WrongClaim)]
    pub claim: AccountLoader<'info, Claim>,
    #[account(
        mut,
        constraint = token_account(&claimant_token)?.mint == pool.load()?.mint @ InsuranceError::WrongMint,
        constraint = token_account(&claimant_token)?.owner == claim.load()?.claimant @ InsuranceError::WrongClaimant,
        constraint = claimant_token.key()
            == pool.load()?.associated_token(&claim.load()?.claimant)
            @ InsuranceError::NotAssociatedTokenAccount,
    )]
    /// CHECK: a token account, read by `token_account` in the constraints (its mint and
    /// owner); the token program validates it again on the transfer.
    pub claimant_token: UncheckedAccount<'info>,
    #[account(mut)]
    /// CHECK: the pool's own escrow, bound by its `has_one`; the token program validates
    /// it on the transfer (no need to unpack it here).
    pub bond_vault: UncheckedAccount<'info>,
    #[account(mut)]
    /// CHECK: the pool's own escrow, bound by its `has_one`; the token program validates
    /// it on the transfer (no need to unpack it here).
    pub vault: UncheckedAccount<'info>,
    /// CHECK: the pool's mint, bound by its `has_one`; `transfer_checked` checks it against
    /// both token accounts and the pool's stored decimals.
    pub mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl WithdrawBond<'_> {
    pub fn validate(&self) -> Result<()> {
        let claim = self.claim.load()?;
        require!(claim.bond_settled == 0, InsuranceError::BondAlreadySettled);
        require!(!claim.is_open(), InsuranceError::ClaimStillOpen);
        Ok(())
    }
}

/// Whether a settled claim's bond goes back to the claimant (else it is slashed).
pub fn bond_returned(claim: &Claim) -> bool {
    match claim.status.get() {
        ClaimStatus::Paid | ClaimStatus::Cancelled => true,
        ClaimStatus::Rejected => claim.fraud == 0,
        ClaimStatus::Vetoed | ClaimStatus::Voting | ClaimStatus::Approved => false,
    }
}

pub fn handle_withdraw_bond(ctx: Context<WithdrawBond>) -> Result<()> {
    let a = ctx.accounts;
    let pool_key = a.pool.key();
    let mut pool = a.pool.load_mut()?;
    let claim_key = a.claim.key();
    let mut claim = a.claim.load_mut()?;
    let returned = bond_returned(&claim);
    let bond = claim.bond;
    let to = if returned {
        a.claimant_token.to_account_info()
    } else {
        a.vault.to_account_info()
    };
    pool.bonds_held = pool.bonds_held.safe_sub(bond)?;
    if !returned {
        pool.capital = pool.capital.safe_add(bond)?;
    }
    let signer = pool.signer();
    // The pool signs the transfer: no borrow of its data across the CPI.
    drop(pool);
    pay_from_pool(
        &a.pool.to_account_info(),
        signer,
        &a.token_program.to_account_info(),
        &a.bond_vault.to_account_info(),
        &a.mint.to_account_info(),
        &to,
        bond,
    )?;
    claim.bond_settled = 1;
    emit!(BondSettled {
        pool: pool_key,
        claim: claim_key,
        amount: bond,
        returned,
    });
    Ok(())
}
