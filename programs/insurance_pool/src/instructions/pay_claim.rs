use crate::prelude::*;
use crate::token::pay_from_pool;

/// Anyone, after the hold-up window: pays an approved claim what approval reserved for
/// it (`min(amount, free capital at approval)`, which stays in capital until now) into
/// the claimant's associated token account, records any unpaid remainder and releases the
/// reservation. Share prices do not move: the reservation was already off free capital.
#[derive(Accounts)]
pub struct PayClaim<'info> {
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(
        mut,
        has_one = mint @ InsuranceError::WrongMint,
        has_one = vault @ InsuranceError::WrongVault,
        has_one = token_program @ InsuranceError::WrongTokenProgram,
    )]
    pub pool: AccountLoader<'info, Pool>,
    #[account(mut, has_one = pool @ InsuranceError::WrongClaim)]
    pub claim: AccountLoader<'info, Claim>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongMember,
        constraint = member.load()?.owner == claim.load()?.claimant @ InsuranceError::WrongClaimant,
    )]
    pub member: AccountLoader<'info, Member>,
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
    pub vault: UncheckedAccount<'info>,
    /// CHECK: the pool's mint, bound by its `has_one`; `transfer_checked` checks it against
    /// both token accounts and the pool's stored decimals.
    pub mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl PayClaim<'_> {
    pub fn validate(&self, now: i64) -> Result<()> {
        let claim = self.claim.load()?;
        require!(
            !self
                .pool
                .load()?
                .is_paused(self.protocol.load()?.paused, pause::CLAIMS),
            InsuranceError::Paused
        );
        require!(
            claim.status == ClaimStatus::Approved,
            InsuranceError::ClaimNotApproved
        );
        require!(now >= claim.holdup_ends_at, InsuranceError::HoldupActive);
        Ok(())
    }
}

pub fn handle_pay_claim(ctx: Context<PayClaim>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = ctx.accounts;
    let pool_key = a.pool.key();
    let mut pool = a.pool.load_mut()?;
    pool.refresh_at(&*a.protocol.load()?, now);
    let claim_key = a.claim.key();
    let mut claim = a.claim.load_mut()?;
    let paid = claim.reserved.min(pool.capital);
    pool.capital = pool.capital.safe_sub(paid)?;
    pool.reserved_for_claims = pool.reserved_for_claims.safe_sub(claim.reserved)?;
    pool.total_claims_paid = pool.total_claims_paid.safe_add(paid)?;
    let (pool_capital, signer) = (pool.capital, pool.signer());
    // The pool signs the transfer: no borrow of its data across the CPI.
    drop(pool);
    pay_from_pool(
        &a.pool.to_account_info(),
        signer,
        &a.token_program.to_account_info(),
        &a.vault.to_account_info(),
        &a.mint.to_account_info(),
        &a.claimant_token.to_account_info(),
        paid,
    )?;
    claim.status = ClaimStatus::Paid.into();
    claim.paid = paid;
    claim.unpaid = claim.amount.safe_sub(paid)?;
    a.member.load_mut()?.close_claim(&claim, false);
    emit!(ClaimPaid {
        pool: pool_key,
        claim: claim_key,
        claimant: claim.claimant,
        paid,
        unpaid: claim.unpaid,
        pool_capital,
    });
    Ok(())
}
