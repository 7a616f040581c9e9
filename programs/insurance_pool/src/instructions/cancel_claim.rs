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
    pub claim: AccountLoader<'info, Claim>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongMember,
        constraint = member.load()?.owner == claimant.key() @ InsuranceError::WrongClaimant,
    )]
    pub member: AccountLoader<'info, Member>,
}

impl CancelClaim<'_> {
    pub fn validate(&self, now: i64) -> Result<()> {
        let claim = self.claim.load()?;
        require!(
            claim.status == ClaimStatus::Voting,
            InsuranceError::ClaimNotVoting
        );
        require!(claim.voters == 0, InsuranceError::ClaimHasVotes);
        require!(
            now < claim.filed_at.saturating_add(CLAIM_CANCEL_WINDOW),
            InsuranceError::CancelWindowOver
        );
        Ok(())
    }
}

pub fn handle_cancel_claim(ctx: Context<CancelClaim>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = ctx.accounts;
    let mut claim = a.claim.load_mut()?;
    claim.status = ClaimStatus::Cancelled.into();
    let mut pool = a.pool.load_mut()?;
    let voting = pool.voting_claims.saturating_sub(claim.amount);
    pool.set_voting_claims(voting, now);
    a.member.load_mut()?.close_claim(&claim, true);
    emit!(ClaimCancelled {
        pool: a.pool.key(),
        claim: a.claim.key(),
    });
    Ok(())
}
