use crate::prelude::*;
use crate::token::transfer;

/// Deposits `amount` of the pool's mint and credits the caller's [`Underwriter`]
/// position with shares at the current price on free capital (rounded down, in the
/// pool's favour). The new shares are young (they vote only once seasoned) and restart
/// the position's deposit lock.
#[derive(Accounts)]
pub struct Deposit<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(
        mut,
        has_one = mint @ InsuranceError::WrongMint,
        has_one = vault @ InsuranceError::WrongVault,
        has_one = token_program @ InsuranceError::WrongTokenProgram,
    )]
    pub pool: AccountLoader<'info, Pool>,
    /// The caller's [`Underwriter`] at its PDA, created on first use (`open_or_load`: an
    /// existing one is bound by its stored `pool` and `owner`, without re-deriving the
    /// address). The IDL build declares the seeds so clients derive it.
    #[cfg_attr(
        feature = "idl-build",
        account(mut, seeds = [UNDERWRITER_SEED, pool.key().as_ref(), owner.key().as_ref()], bump)
    )]
    #[cfg_attr(not(feature = "idl-build"), account(mut))]
    /// CHECK: loaded or created by `open_or_load` (owner, discriminator, size / PDA).
    pub underwriter: UncheckedAccount<'info>,
    /// The pool's exposure and earning books (premium earned so far joins capital
    /// before shares are priced).
    #[account(mut, has_one = pool @ InsuranceError::WrongExposure)]
    pub exposure: AccountLoader<'info, PoolExposure>,
    /// The owner's token account the deposit is paid from.
    #[account(
        mut,
        constraint = token_account(&owner_token)?.mint == pool.load()?.mint @ InsuranceError::WrongMint,
        constraint = token_account(&owner_token)?.owner == owner.key() @ InsuranceError::WrongTokenOwner,
    )]
    /// CHECK: a token account, read by `token_account` in the constraints (its mint and
    /// owner); the token program validates it again on the transfer.
    pub owner_token: UncheckedAccount<'info>,
    #[account(mut)]
    /// CHECK: the pool's own escrow, bound by its `has_one`; the token program validates
    /// it on the transfer (no need to unpack it here).
    pub vault: UncheckedAccount<'info>,
    /// CHECK: the pool's mint, bound by its `has_one`; `transfer_checked` checks it against
    /// both token accounts and the pool's stored decimals.
    pub mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl Deposit<'_> {
    pub fn validate(&self, amount: u64) -> Result<()> {
        let pool = self.pool.load()?;
        require!(
            !pool.is_paused(self.protocol.load()?.paused, pause::DEPOSIT),
            InsuranceError::Paused
        );
        require!(amount > 0, InsuranceError::ZeroAmount);
        require!(
            amount >= pool.params.min_deposit,
            InsuranceError::DepositTooSmall
        );
        // A veto during a hold-up returns the reservation to free capital: shares
        // bought at the discounted price would capture it.
        require!(
            Clock::get()?.unix_timestamp >= pool.holdup_until,
            InsuranceError::HoldupDepositsClosed
        );
        Ok(())
    }
}

pub fn handle_deposit(ctx: Context<Deposit>, amount: u64, min_shares: Shares) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let pool_key = accounts.pool.key();
    let mut pool = accounts.pool.load_mut()?;
    pool.refresh_at(&*accounts.protocol.load()?, now);
    pool.earn(&mut accounts.exposure.load_mut()?.earnings, now)?;

    let shares = pool.shares_for(amount)?;
    require!(shares > 0, InsuranceError::ZeroShares);
    require!(shares >= min_shares, InsuranceError::SlippageExceeded);
    let capital = pool.capital.safe_add(amount)?;
    require!(
        capital <= pool.params.deposit_cap,
        InsuranceError::DepositCapExceeded
    );

    transfer(
        &accounts.token_program.to_account_info(),
        &accounts.owner_token.to_account_info(),
        &accounts.mint.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.owner.to_account_info(),
        &[],
        amount,
        pool.mint_decimals,
    )?;

    pool.capital = capital;
    let total = pool.total_shares.get().safe_add(shares)?;
    pool.total_shares.set(total);
    pool.total_deposited = pool.total_deposited.safe_add(amount)?;

    let owner_key = accounts.owner.key();
    let (mut underwriter, created) = open_or_load::<Underwriter>(
        &accounts.underwriter,
        &[UNDERWRITER_SEED, pool_key.as_ref(), owner_key.as_ref()],
        &accounts.owner,
        &accounts.system_program,
    )?;
    if let Some(bump) = created {
        underwriter.pool = pool_key;
        underwriter.owner = owner_key;
        underwriter.bump = bump;
    }
    require_keys_eq!(underwriter.pool, pool_key, InsuranceError::WrongUnderwriter);
    require_keys_eq!(
        underwriter.owner,
        owner_key,
        InsuranceError::WrongUnderwriter
    );
    let held = underwriter.shares.get().safe_add(shares)?;
    underwriter.shares.set(held);
    underwriter.total_deposited = underwriter.total_deposited.safe_add(amount)?;
    underwriter.last_deposit_at = now;
    pool.stake(&mut underwriter, shares, now)?;

    emit!(Deposited {
        pool: pool_key,
        owner: underwriter.owner,
        amount,
        shares,
        pool_capital: pool.capital,
        pool_shares: pool.total_shares.get(),
    });
    Ok(())
}
