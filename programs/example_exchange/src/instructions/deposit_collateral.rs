use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

use crate::errors::ExchangeError;
use crate::seeds;
use crate::state::{Market, Position};

#[derive(Accounts)]
pub struct DepositCollateral<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(mut, has_one = mint, has_one = collateral_vault)]
    pub market: Box<Account<'info, Market>>,
    #[account(
        init_if_needed,
        payer = owner,
        space = 8 + Position::INIT_SPACE,
        seeds = [seeds::POSITION, market.key().as_ref(), owner.key().as_ref()],
        bump,
    )]
    pub position: Box<Account<'info, Position>>,
    #[account(mut, token::mint = mint, token::authority = owner)]
    pub owner_token: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub collateral_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

pub fn handle_deposit_collateral(ctx: Context<DepositCollateral>, amount: u64) -> Result<()> {
    require!(amount > 0, ExchangeError::ZeroAmount);
    let a = ctx.accounts;
    let cpi = TransferChecked {
        from: a.owner_token.to_account_info(),
        mint: a.mint.to_account_info(),
        to: a.collateral_vault.to_account_info(),
        authority: a.owner.to_account_info(),
    };
    token_interface::transfer_checked(
        CpiContext::new(a.token_program.key(), cpi),
        amount,
        a.mint.decimals,
    )?;
    let position = &mut a.position;
    if position.owner == Pubkey::default() {
        position.market = a.market.key();
        position.owner = a.owner.key();
        position.bump = ctx.bumps.position;
    }
    position.collateral = position
        .collateral
        .checked_add(amount)
        .ok_or(ExchangeError::MathOverflow)?;
    a.market.total_collateral = a
        .market
        .total_collateral
        .checked_add(amount)
        .ok_or(ExchangeError::MathOverflow)?;
    Ok(())
}
