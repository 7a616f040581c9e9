//! The compute-unit floor of the insurance pool benchmark.
//!
//! A bare program (no Anchor, no account checks, no state) that performs exactly the
//! cross-program invocations an insurance pool instruction performs, so the benchmark
//! can print `pool CU / floor CU`: what the framework, validation and bookkeeping cost
//! on top of the unavoidable CPIs. It is never deployed.
//!
//! Instruction data is a sequence of operations; each consumes the next accounts:
//!
//! | op | data after the op byte | accounts |
//! |---|---|---|
//! | `1` transfer, signer-authorised | amount u64, decimals u8 | from, mint, to, authority (signer), token program |
//! | `2` transfer, PDA-authorised | amount u64, decimals u8, bump u8 | from, mint, to, authority PDA `["authority"]`, token program |
//! | `3` create a PDA account | space u64, owner [u8; 32], seed u8, bump u8 | payer, new account PDA `["account", seed]`, system program |
//! | `4` initialize a token account | owner [u8; 32] | account, mint, token program |
//! | `5` relay, PDA-signed | bump u8, n u8, n flags u8 (bit 0 signer, bit 1 writable), data len u16, data | program, then its n accounts |
//!
//! An empty instruction does nothing: the floor of instructions without CPIs.
//!
//! Op `5` is not a floor: it lets the benchmark call an instruction that must be signed
//! by a program's PDA (the insurance pool's `cover_shortfall`, whose exchange authority
//! must be off the curve), invoking it with `["authority", bump]` as signer.

use solana_account_info::AccountInfo;
use solana_cpi::{invoke, invoke_signed};
use solana_instruction::{AccountMeta, Instruction};
use solana_program_error::{ProgramError, ProgramResult};
use solana_pubkey::Pubkey;

#[cfg(not(feature = "no-entrypoint"))]
solana_program_entrypoint::entrypoint!(process);

fn take<'a, const N: usize>(data: &mut &'a [u8]) -> Result<&'a [u8; N], ProgramError> {
    let (head, rest) = data
        .split_first_chunk::<N>()
        .ok_or(ProgramError::InvalidInstructionData)?;
    *data = rest;
    Ok(head)
}

fn next<'a, 'info>(
    accounts: &mut &'a [AccountInfo<'info>],
) -> Result<&'a AccountInfo<'info>, ProgramError> {
    let (head, rest) = accounts
        .split_first()
        .ok_or(ProgramError::NotEnoughAccountKeys)?;
    *accounts = rest;
    Ok(head)
}

/// Runs the operations encoded in `data` (see the module documentation).
pub fn process(_program_id: &Pubkey, accounts: &[AccountInfo], mut data: &[u8]) -> ProgramResult {
    let mut accounts = accounts;
    while let Some((&op, rest)) = data.split_first() {
        data = rest;
        match op {
            1 | 2 => {
                let amount = u64::from_le_bytes(*take::<8>(&mut data)?);
                let [decimals] = *take::<1>(&mut data)?;
                let (from, mint, to, authority, token) = (
                    next(&mut accounts)?,
                    next(&mut accounts)?,
                    next(&mut accounts)?,
                    next(&mut accounts)?,
                    next(&mut accounts)?,
                );
                let ix = spl_token_2022_interface::instruction::transfer_checked(
                    token.key,
                    from.key,
                    mint.key,
                    to.key,
                    authority.key,
                    &[],
                    amount,
                    decimals,
                )?;
                let infos = [from.clone(), mint.clone(), to.clone(), authority.clone()];
                if op == 1 {
                    invoke(&ix, &infos)?;
                } else {
                    let bump = *take::<1>(&mut data)?;
                    invoke_signed(&ix, &infos, &[&[b"authority", &bump]])?;
                }
            }
            3 => {
                let space = u64::from_le_bytes(*take::<8>(&mut data)?);
                let owner = Pubkey::new_from_array(*take::<32>(&mut data)?);
                let seed = *take::<1>(&mut data)?;
                let bump = *take::<1>(&mut data)?;
                let (payer, account, _system) = (
                    next(&mut accounts)?,
                    next(&mut accounts)?,
                    next(&mut accounts)?,
                );
                let lamports = 890_880 + 6_960 * space; // rent-exempt minimum, precomputed
                let ix = solana_system_interface::instruction::create_account(
                    payer.key,
                    account.key,
                    lamports,
                    space,
                    &owner,
                );
                invoke_signed(
                    &ix,
                    &[payer.clone(), account.clone()],
                    &[&[b"account", &seed, &bump]],
                )?;
            }
            4 => {
                let owner = Pubkey::new_from_array(*take::<32>(&mut data)?);
                let (account, mint, token) = (
                    next(&mut accounts)?,
                    next(&mut accounts)?,
                    next(&mut accounts)?,
                );
                let ix = spl_token_2022_interface::instruction::initialize_account3(
                    token.key,
                    account.key,
                    mint.key,
                    &owner,
                )?;
                invoke(&ix, &[account.clone(), mint.clone()])?;
            }
            5 => {
                let [bump] = *take::<1>(&mut data)?;
                let [n] = *take::<1>(&mut data)?;
                let program = next(&mut accounts)?;
                let mut metas = Vec::with_capacity(n as usize);
                let mut infos = Vec::with_capacity(n as usize + 1);
                for _ in 0..n {
                    let [flags] = *take::<1>(&mut data)?;
                    let account = next(&mut accounts)?;
                    metas.push(AccountMeta {
                        pubkey: *account.key,
                        is_signer: flags & 1 != 0,
                        is_writable: flags & 2 != 0,
                    });
                    infos.push(account.clone());
                }
                infos.push(program.clone());
                let len = u16::from_le_bytes(*take::<2>(&mut data)?) as usize;
                if data.len() < len {
                    return Err(ProgramError::InvalidInstructionData);
                }
                let (inner, rest) = data.split_at(len);
                data = rest;
                let ix = Instruction {
                    program_id: *program.key,
                    accounts: metas,
                    data: inner.to_vec(),
                };
                invoke_signed(&ix, &infos, &[&[b"authority", &[bump]]])?;
            }
            _ => return Err(ProgramError::InvalidInstructionData),
        }
    }
    Ok(())
}
