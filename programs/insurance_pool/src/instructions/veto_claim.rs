use crate::prelude::*;

/// Guardian, during the hold-up window: vetoes an approved claim, releasing its
/// reservation (back to free capital) and giving its cover back to the member's term.
/// Its bond will be slashed.
#[derive(Accounts)]
pub struct VetoClaim<'info> {
    pub guardian: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS, has_one = guardian @ InsuranceError::NotGuardian)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(mut)]
    pub pool: AccountLoader<'info, Pool>,
    #[account(mut, has_one = pool @ InsuranceError::WrongClaim)]
    pub claim: Box<Account<'info, Claim>>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongMember,
        constraint = member.load()?.owner == claim.claimant @ InsuranceError::WrongClaimant,
    )]
    pub member: AccountLoader<'info, Member>,
}

impl VetoClaim<'_> {
    pub fn validate(&self, now: i64) -> Result<()> {
        require!(
            self.claim.status == ClaimStatus::Approved,
            InsuranceError::ClaimNotApproved
        );
        require!(now < self.claim.holdup_ends_at, InsuranceError::HoldupOver);
        Ok(())
    }
}

pub fn handle_veto_claim(ctx: Context<VetoClaim>) -> Result<()> {
    let a = ctx.accounts;
    a.claim.status = ClaimStatus::Vetoed;
    let mut pool = a.pool.load_mut()?;
    pool.reserved_for_claims = pool.reserved_for_claims.safe_sub(a.claim.reserved)?;
    drop(pool);
    a.member.load_mut()?.close_claim(&a.claim, true);
    emit!(ClaimVetoed {
        pool: a.pool.key(),
        claim: a.claim.key(),
        guardian: a.guardian.key(),
    });
    Ok(())
}
