use crate::math::{quorum_met, share_reached};
use crate::prelude::*;

/// Anyone, after the voting period: Approved if turnout reaches the quorum and the
/// yes-votes reach the approval threshold of the cast weight, else Rejected (and
/// flagged as fraud only when the quorum was reached and the no-votes reach the fraud
/// threshold). Approval reserves `min(amount, free capital)` against the pool (an
/// approved claim is a realised loss for the share price; any excess is recorded as
/// unpaid when paid) and starts the hold-up window. A rejection gives the claim's cover
/// back to the member's term. On a claim cancelled during its voting period (still
/// [`Claim::held`]), after that period: only releases its amount from the pool's
/// `voting_claims` (exits and the exit clock wait for it until then).
#[derive(Accounts)]
pub struct FinalizeClaim<'info> {
    #[account(address = PROTOCOL_ADDRESS)]
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

impl FinalizeClaim<'_> {
    pub fn validate(&self, now: i64) -> Result<()> {
        let claim = self.claim.load()?;
        let held = claim.status == ClaimStatus::Cancelled && claim.held != 0;
        require!(
            claim.status == ClaimStatus::Voting || held,
            InsuranceError::ClaimNotVoting
        );
        require!(now >= claim.voting_ends_at, InsuranceError::VotingNotOver);
        Ok(())
    }
}

pub fn handle_finalize_claim(ctx: Context<FinalizeClaim>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = ctx.accounts;
    let pool_key = a.pool.key();
    let mut pool = a.pool.load_mut()?;
    pool.refresh_at(&*a.protocol.load()?, now);
    let claim_key = a.claim.key();
    let mut claim = a.claim.load_mut()?;
    let voting = pool.voting_claims.saturating_sub(claim.amount);
    pool.set_voting_claims(voting, now);
    if claim.status == ClaimStatus::Cancelled {
        // A cancelled claim's voting period is over: exits no longer wait for it.
        claim.held = 0;
        emit!(ClaimReleased {
            pool: pool_key,
            claim: claim_key,
            voting_claims: voting,
        });
        return Ok(());
    }
    let g = pool.params.governance;
    let (yes, no, eligible) = (
        claim.yes_weight.get(),
        claim.no_weight.get(),
        claim.eligible_weight.get(),
    );
    let cast = yes.safe_add(no)?;
    let quorum = quorum_met(cast, eligible, g.quorum_bps);
    let approved = quorum && share_reached(yes, cast, g.approval_threshold_bps);
    if approved {
        claim.status = ClaimStatus::Approved.into();
        claim.holdup_ends_at = now.safe_add(g.holdup_period)?;
        claim.reserved = claim.amount.min(pool.free_capital());
        pool.reserved_for_claims = pool.reserved_for_claims.safe_add(claim.reserved)?;
        pool.start_holdup(now, claim.holdup_ends_at);
    } else {
        claim.status = ClaimStatus::Rejected.into();
        claim.fraud = (quorum && share_reached(no, cast, g.fraud_threshold_bps)) as u8;
        a.member.load_mut()?.close_claim(&claim, true);
    }
    emit!(ClaimFinalized {
        pool: pool_key,
        claim: claim_key,
        status: claim.status.get(),
        yes_weight: yes,
        no_weight: no,
        eligible_weight: eligible,
        fraud: claim.fraud != 0,
        holdup_ends_at: claim.holdup_ends_at,
    });
    Ok(())
}
