use crate::prelude::*;

/// Claimant: withdraws its claim within [`CLAIM_CANCEL_WINDOW`] of filing and before
/// anyone voted (so a cancel cannot be used to dodge the first "no" votes of a claim
/// under way). The bond is then returnable and the cover given back to the term, and
/// the member may file again; but the claim's amount keeps exits waiting (it stays in
/// `voting_claims`, [`Claim::held`]) until its voting period ends and `finalize_claim`
/// releases it, as if it had run its course.
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
    let a = ctx.accounts;
    let mut claim = a.claim.load_mut()?;
    claim.status = ClaimStatus::Cancelled.into();
    // Still in the pool's `voting_claims` until `finalize_claim` releases it.
    claim.held = 1;
    a.member.load_mut()?.close_claim(&claim, true);
    emit!(ClaimCancelled {
        pool: a.pool.key(),
        claim: a.claim.key(),
    });
    Ok(())
}
