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
    pub claim: AccountLoader<'info, Claim>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongMember,
        constraint = member.load()?.owner == claim.load()?.claimant @ InsuranceError::WrongClaimant,
    )]
    pub member: AccountLoader<'info, Member>,
}

impl VetoClaim<'_> {
    pub fn validate(&self, now: i64) -> Result<()> {
        let claim = self.claim.load()?;
        require!(
            claim.status == ClaimStatus::Approved,
            InsuranceError::ClaimNotApproved
        );
        require!(now < claim.holdup_ends_at, InsuranceError::HoldupOver);
        Ok(())
    }
}

pub fn handle_veto_claim(ctx: Context<VetoClaim>) -> Result<()> {
    let a = ctx.accounts;
    let mut claim = a.claim.load_mut()?;
    claim.status = ClaimStatus::Vetoed.into();
    let mut pool = a.pool.load_mut()?;
    pool.reserved_for_claims = pool.reserved_for_claims.safe_sub(claim.reserved)?;
    drop(pool);
    a.member.load_mut()?.close_claim(&claim, true);
    emit!(ClaimVetoed {
        pool: a.pool.key(),
        claim: a.claim.key(),
        guardian: a.guardian.key(),
    });
    Ok(())
}
