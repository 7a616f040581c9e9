use crate::prelude::*;

/// Claimant: withdraws its claim within [`CLAIM_CANCEL_WINDOW`] of filing and before
/// anyone voted (so a cancel cannot be used to dodge the first "no" votes of a claim
/// under way). The bond is then returnable and the cover given back to the term.
#[derive(Accounts)]
pub struct CancelClaim<'info> {
    pub claimant: Signer<'info>,
    #[account(mut)]
    pub pool: AccountLoader<'info, Pool>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongClaim,
        has_one = claimant @ InsuranceError::WrongClaimant,
    )]
    pub claim: Box<Account<'info, Claim>>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongMember,
        constraint = member.load()?.owner == claimant.key() @ InsuranceError::WrongClaimant,
    )]
    pub member: AccountLoader<'info, Member>,
}

impl CancelClaim<'_> {
    pub fn validate(&self, now: i64) -> Result<()> {
        require!(
            self.claim.status == ClaimStatus::Voting,
            InsuranceError::ClaimNotVoting
        );
        require!(self.claim.voters == 0, InsuranceError::ClaimHasVotes);
        require!(
            now < self.claim.filed_at.saturating_add(CLAIM_CANCEL_WINDOW),
            InsuranceError::CancelWindowOver
        );
        Ok(())
    }
}

pub fn handle_cancel_claim(ctx: Context<CancelClaim>) -> Result<()> {
    let a = ctx.accounts;
    a.claim.status = ClaimStatus::Cancelled;
    let mut pool = a.pool.load_mut()?;
    pool.voting_claims = pool.voting_claims.saturating_sub(a.claim.amount);
    a.member.load_mut()?.close_claim(&a.claim, true);
    emit!(ClaimCancelled {
        pool: a.pool.key(),
        claim: a.claim.key(),
    });
    Ok(())
}
