//! Token plumbing shared by the instructions: vault transfers (SPL Token and Token-2022
//! through `token_interface`) and the Token-2022 mint extension policy.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::extension::{
    BaseStateWithExtensions, ExtensionType, StateWithExtensions,
};
use anchor_spl::token_2022::spl_token_2022::state::Mint as MintState;
use anchor_spl::token_interface::{self, TransferChecked};

use crate::errors::InsuranceError;

/// Token-2022 mint extensions a pool accepts. Each leaves raw token amounts exact:
/// what is sent is what arrives, nobody but the pool can move the vault's tokens, and
/// no third-party program runs on a transfer. Everything else is refused at
/// `create_pool`, notably `TransferFeeConfig` (the vault would receive less than the
/// accounted amount), `TransferHook` (arbitrary code and extra accounts on every
/// transfer), `PermanentDelegate` (a third party could drain the vault),
/// `ConfidentialTransferMint` (balances outside the public amount), `NonTransferable`,
/// `DefaultAccountState` and `Pausable` (the vault could be frozen), and
/// `InterestBearingConfig` / `ScaledUiAmount` (UI amounts diverge from accounted ones),
/// and `MintCloseAuthority` (the mint could be closed at zero supply and re-created at
/// the same address with a permanent delegate that empties the vault).
pub const ALLOWED_MINT_EXTENSIONS: &[ExtensionType] = &[
    ExtensionType::MetadataPointer,
    ExtensionType::TokenMetadata,
    ExtensionType::GroupPointer,
    ExtensionType::TokenGroup,
    ExtensionType::GroupMemberPointer,
    ExtensionType::TokenGroupMember,
];

/// Refuses `account` (a token account whose authority is `authority`) if it is any
/// pool's vault or bond escrow: value paid there would vanish from every pool's books.
///
/// A pool's escrows are owned by the pool, a PDA, which is never on the ed25519 curve:
/// an authority on the curve (any wallet) cannot own one, and the check costs one curve
/// test (a 159-unit syscall on chain) instead of two PDA derivations (1,500 units per
/// bump tried).
pub fn refuse_pool_escrow(account: &Pubkey, authority: &Pubkey) -> Result<()> {
    if authority.is_on_curve() {
        return Ok(());
    }
    for (escrow, _) in [
        crate::pda::vault(authority),
        crate::pda::bond_vault(authority),
    ] {
        require_keys_neq!(escrow, *account, InsuranceError::ForbiddenDestination);
    }
    Ok(())
}

/// The two fields of a token account the program checks, read straight from its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenAccountView {
    pub mint: Pubkey,
    pub owner: Pubkey,
}

/// Length of an SPL Token account's base state (and of a Token-2022 account without
/// extensions); the Token-2022 account type byte follows it.
const TOKEN_ACCOUNT_LEN: usize = 165;
/// Length of a multisig account (which Token-2022 never reads as an account).
const MULTISIG_LEN: usize = 355;
/// Offset of the `state` byte (0 = uninitialised) in the base state.
const TOKEN_ACCOUNT_STATE: usize = 108;
/// Token-2022's account type of a token account (1 is a mint).
const ACCOUNT_TYPE_ACCOUNT: u8 = 2;

/// Reads the mint and owner of a token account passed as an unchecked account, with
/// the checks and errors of Anchor's `InterfaceAccount<TokenAccount>` (which would
/// unpack the whole state and copy it): a missing account is `AccountNotInitialized`,
/// one not owned by SPL Token or Token-2022 `AccountOwnedByWrongProgram`, and a mint,
/// multisig or uninitialised account of those programs `AccountDidNotDeserialize`.
/// Only the token programs write their accounts, so a well-shaped one is a real
/// token account; the token program validates it again on every transfer.
pub fn token_account(info: &AccountInfo) -> Result<TokenAccountView> {
    use anchor_lang::error::ErrorCode;
    if *info.owner == anchor_lang::system_program::ID && info.lamports() == 0 {
        return Err(error!(ErrorCode::AccountNotInitialized).with_account_name("token account"));
    }
    if *info.owner != anchor_spl::token::ID && *info.owner != anchor_spl::token_2022::ID {
        return Err(Error::from(ErrorCode::AccountOwnedByWrongProgram)
            .with_pubkeys((*info.owner, anchor_spl::token::ID)));
    }
    let data = info.try_borrow_data()?;
    let shaped = data.len() == TOKEN_ACCOUNT_LEN
        || (data.len() > TOKEN_ACCOUNT_LEN
            && data.len() != MULTISIG_LEN
            && data[TOKEN_ACCOUNT_LEN] == ACCOUNT_TYPE_ACCOUNT);
    if !shaped || data[TOKEN_ACCOUNT_STATE] == 0 {
        return Err(ErrorCode::AccountDidNotDeserialize.into());
    }
    let key = |at: usize| {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&data[at..at + 32]);
        Pubkey::new_from_array(bytes)
    };
    Ok(TokenAccountView {
        mint: key(0),
        owner: key(32),
    })
}

/// Refuses a Token-2022 mint carrying any extension outside [`ALLOWED_MINT_EXTENSIONS`].
/// SPL Token mints have no extensions and always pass.
pub fn check_mint_extensions(mint: &AccountInfo) -> Result<()> {
    if *mint.owner != anchor_spl::token_2022::ID {
        return Ok(());
    }
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<MintState>::unpack(&data)?;
    for extension in state.get_extension_types()? {
        if !ALLOWED_MINT_EXTENSIONS.contains(&extension) {
            msg!("unsupported mint extension: {:?}", extension);
            return err!(InsuranceError::UnsupportedMintExtension);
        }
    }
    Ok(())
}

/// What the pool PDA needs to sign a transfer out of its token accounts, copied out
/// of the zero-copy [`crate::state::Pool`] so that no borrow of the pool's data is held
/// across the CPI (the runtime refuses a CPI with an account mutably borrowed).
#[derive(Clone, Copy, Debug)]
pub struct PoolSigner {
    pub market: Pubkey,
    pub bump: u8,
    pub decimals: u8,
}

impl crate::state::Pool {
    /// The signer data of this pool (see [`PoolSigner`]).
    pub fn signer(&self) -> PoolSigner {
        PoolSigner {
            market: self.market,
            bump: self.bump,
            decimals: self.mint_decimals,
        }
    }
}

/// Pays `amount` out of one of the pool's token accounts (`from`: its vault or bond
/// escrow) to `to`, signed by the pool PDA `pool`. Does nothing for a zero amount.
pub fn pay_from_pool<'info>(
    pool: &AccountInfo<'info>,
    signer: PoolSigner,
    token_program: &AccountInfo<'info>,
    from: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let seeds: &[&[u8]] = &[
        crate::constants::POOL_SEED,
        signer.market.as_ref(),
        &[signer.bump],
    ];
    transfer(
        token_program,
        from,
        mint,
        to,
        pool,
        &[seeds],
        amount,
        signer.decimals,
    )
}

/// `transfer_checked` of `amount` from `from` to `to`, signed by `authority` (with
/// `signer_seeds` when the authority is a PDA of this program).
#[allow(clippy::too_many_arguments)]
pub fn transfer<'info>(
    token_program: &AccountInfo<'info>,
    from: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    signer_seeds: &[&[&[u8]]],
    amount: u64,
    decimals: u8,
) -> Result<()> {
    let accounts = TransferChecked {
        from: from.clone(),
        mint: mint.clone(),
        to: to.clone(),
        authority: authority.clone(),
    };
    let ctx = CpiContext::new(token_program.key(), accounts).with_signer(signer_seeds);
    token_interface::transfer_checked(ctx, amount, decimals)
}

/// The treasury rule of every instruction that takes a protocol fee: a `treasury` token
/// account, when passed, must be the protocol treasury's account for the pool's `mint`;
/// it may be omitted only while the protocol fee is zero.
pub fn check_treasury(
    protocol: &crate::state::Protocol,
    mint: &Pubkey,
    treasury: Option<&AccountInfo>,
) -> Result<()> {
    match treasury.map(token_account).transpose()? {
        Some(treasury) => require!(
            treasury.mint == *mint && treasury.owner == protocol.treasury,
            InsuranceError::WrongTreasuryAccount
        ),
        None => require!(
            protocol.protocol_fee_bps == 0,
            InsuranceError::MissingTreasuryAccount
        ),
    }
    Ok(())
}

/// Collects an income payment from `from` (signed by `authority`, a signer of the
/// instruction): `to_pool` into the pool's `vault` and `fee` into `treasury` (required
/// when `fee > 0`). Zero amounts move nothing.
#[allow(clippy::too_many_arguments)]
pub fn collect<'info>(
    token_program: &AccountInfo<'info>,
    from: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    treasury: Option<AccountInfo<'info>>,
    authority: &AccountInfo<'info>,
    to_pool: u64,
    fee: u64,
    decimals: u8,
) -> Result<()> {
    if to_pool > 0 {
        transfer(
            token_program,
            from,
            mint,
            vault,
            authority,
            &[],
            to_pool,
            decimals,
        )?;
    }
    if fee > 0 {
        let treasury = treasury.ok_or(InsuranceError::MissingTreasuryAccount)?;
        transfer(
            token_program,
            from,
            mint,
            &treasury,
            authority,
            &[],
            fee,
            decimals,
        )?;
    }
    Ok(())
}
