use crate::math::{bond_for, within_bps};
use crate::prelude::*;
use crate::token::transfer;

/// Member: claims `amount` (at most its matured, unused cover this term, and at most
/// `max_claim_bps` of the pool's free capital) with evidence, posting a bond into the
/// pool's bond escrow. Records the eligible vote weight (shares seasoned and not
/// pending withdrawal now). The claim's address comes from the member's own counter, so
/// nobody else's filing can take it.
#[derive(Accounts)]
pub struct FileClaim<'info> {
    #[account(mut)]
    pub claimant: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(
        mut,
        has_one = mint @ InsuranceError::WrongMint,
        has_one = bond_vault @ InsuranceError::WrongVault,
        has_one = token_program @ InsuranceError::WrongTokenProgram,
    )]
    pub pool: AccountLoader<'info, Pool>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongMember,
        constraint = member.load()?.owner == claimant.key() @ InsuranceError::WrongMember,
    )]
    pub member: AccountLoader<'info, Member>,
    #[account(
        init,
        payer = claimant,
        space = 8 + Claim::INIT_SPACE,
        seeds = [
            CLAIM_SEED,
            pool.key().as_ref(),
            claimant.key().as_ref(),
            &member.load()?.claim_count.to_le_bytes(),
        ],
        bump,
    )]
    pub claim: AccountLoader<'info, Claim>,
    #[account(
        mut,
        constraint = token_account(&claimant_token)?.mint == pool.load()?.mint @ InsuranceError::WrongMint,
        constraint = token_account(&claimant_token)?.owner == claimant.key() @ InsuranceError::WrongTokenOwner,
    )]
    /// CHECK: a token account, read by `token_account` in the constraints (its mint and
    /// owner); the token program validates it again on the transfer.
    pub claimant_token: UncheckedAccount<'info>,
    #[account(mut)]
    /// CHECK: the pool's own escrow, bound by its `has_one`; the token program validates
    /// it on the transfer (no need to unpack it here).
    pub bond_vault: UncheckedAccount<'info>,
    /// CHECK: the pool's mint, bound by its `has_one`; `transfer_checked` checks it against
    /// both token accounts and the pool's stored decimals.
    pub mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl FileClaim<'_> {
    pub fn validate(&self, amount: u64, uri: &str, now: i64) -> Result<()> {
        require!(
            !self
                .pool
                .load()?
                .is_paused(self.protocol.load()?.paused, pause::CLAIMS),
            InsuranceError::Paused
        );
        require!(amount > 0, InsuranceError::ZeroAmount);
        require!(uri.len() <= MAX_URI_LEN, InsuranceError::UriTooLong);
        let member = self.member.load()?;
        require!(member.is_covered(now), InsuranceError::NotCovered);
        require!(
            amount <= member.claimable(now),
            InsuranceError::ClaimAboveCoverage
        );
        require!(!member.has_open_claim(), InsuranceError::ClaimAlreadyOpen);
        Ok(())
    }
}

pub fn handle_file_claim(
    ctx: Context<FileClaim>,
    amount: u64,
    evidence_hash: [u8; 32],
    uri: String,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = ctx.accounts;
    let pool_key = a.pool.key();
    let mut pool = a.pool.load_mut()?;
    pool.refresh_at(&*a.protocol.load()?, now);
    let governance = pool.params.governance;
    // The claims voting at once, this one included, are at most `max_claim_bps` of free
    // capital (the sixth attacker review: two parallel claims of half each reserved it
    // all on one quorum's votes).
    require!(
        within_bps(
            amount.safe_add(pool.voting_claims)?,
            pool.free_capital(),
            governance.max_claim_bps
        ),
        InsuranceError::ClaimTooLarge
    );
    let bond = bond_for(amount, governance.bond_min, governance.bond_bps)?;
    if bond > 0 {
        transfer(
            &a.token_program.to_account_info(),
            &a.claimant_token.to_account_info(),
            &a.mint.to_account_info(),
            &a.bond_vault.to_account_info(),
            &a.claimant.to_account_info(),
            &[],
            bond,
            pool.mint_decimals,
        )?;
    }
    let number = pool.claim_count;
    pool.claim_count = number.safe_add(1)?;
    pool.bonds_held = pool.bonds_held.safe_add(bond)?;
    let voting = pool.voting_claims.safe_add(amount)?;
    pool.set_voting_claims(voting, now);
    let mut member = a.member.load_mut()?;
    member.mature(now);
    member.claimed_amount = member.claimed_amount.safe_add(amount)?;
    let id = member.claim_count;
    member.claim_count = id.safe_add(1)?;
    let claim_key = a.claim.key();
    let mut claim = a.claim.load_init()?;
    *claim = Claim {
        pool: pool_key,
        id,
        claimant: a.claimant.key(),
        amount,
        evidence_hash,
        uri: EvidenceUri::new(&uri),
        bond,
        bond_settled: 0,
        status: ClaimStatus::Voting.into(),
        filed_at: now,
        voting_ends_at: now.safe_add(governance.voting_period)?,
        holdup_ends_at: 0,
        eligible_weight: pool.seasoned_shares(now).into(),
        yes_weight: PodShares::default(),
        no_weight: PodShares::default(),
        voters: 0,
        fraud: 0,
        paid: 0,
        unpaid: 0,
        bump: ctx.bumps.claim,
        reserved: 0,
        cover_expiry: member.coverage_expiry,
        number,
        held: 0,
        padding: [0; 2],
    };
    member.open_claim = claim_key;
    emit!(ClaimFiled {
        pool: pool_key,
        claim: claim_key,
        id,
        claimant: claim.claimant,
        amount,
        bond,
        evidence_hash,
        voting_ends_at: claim.voting_ends_at,
        eligible_weight: claim.eligible_weight.get(),
    });
    Ok(())
}
