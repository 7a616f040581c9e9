/**
 * Wallets through the Wallet Standard: Phantom, Solflare, Backpack (and any wallet that
 * registers itself) are discovered as they register; connecting asks for an account,
 * and transactions are signed with the wallet's `solana:signTransaction`.
 */
import { getWallets } from "@wallet-standard/app";
import type { Wallet, WalletAccount } from "@wallet-standard/base";
import { PublicKey, Transaction, VersionedTransaction } from "@solana/web3.js";

type ConnectFeature = { connect(input?: { silent?: boolean }): Promise<{ accounts: readonly WalletAccount[] }> };
type SignFeature = {
  signTransaction(
    ...inputs: { account: WalletAccount; transaction: Uint8Array; chain?: string }[]
  ): Promise<{ signedTransaction: Uint8Array }[]>;
};

/** The Solana wallets registered so far (those that can connect and sign). */
export function solanaWallets(): Wallet[] {
  return getWallets()
    .get()
    .filter((w) => "standard:connect" in w.features && "solana:signTransaction" in w.features);
}

/** Calls `onChange` whenever a wallet registers or unregisters; returns the unsubscribe. */
export function watchWallets(onChange: () => void): () => void {
  const { on } = getWallets();
  const offs = [on("register", onChange), on("unregister", onChange)];
  return () => offs.forEach((off) => off());
}

/** A connected wallet account, shaped as Anchor's provider wants a wallet. */
export interface ConnectedWallet {
  name: string;
  publicKey: PublicKey;
  signTransaction<T extends Transaction | VersionedTransaction>(tx: T): Promise<T>;
  signAllTransactions<T extends Transaction | VersionedTransaction>(txs: T[]): Promise<T[]>;
}

/** Connects `wallet` and returns its first account as a signer for `chain` (e.g. `solana:localnet`). */
export async function connect(wallet: Wallet, chain: string): Promise<ConnectedWallet> {
  const { accounts } = await (wallet.features["standard:connect"] as ConnectFeature).connect();
  const account = accounts[0];
  if (!account) throw new Error(`${wallet.name} returned no account`);
  const signer = wallet.features["solana:signTransaction"] as SignFeature;
  const sign = async <T extends Transaction | VersionedTransaction>(tx: T): Promise<T> => {
    const bytes =
      tx instanceof VersionedTransaction ? tx.serialize() : tx.serialize({ requireAllSignatures: false, verifySignatures: false });
    const [{ signedTransaction }] = await signer.signTransaction({ account, transaction: bytes, chain });
    return (tx instanceof VersionedTransaction
      ? VersionedTransaction.deserialize(signedTransaction)
      : Transaction.from(signedTransaction)) as T;
  };
  return {
    name: wallet.name,
    publicKey: new PublicKey(account.address),
    signTransaction: sign,
    signAllTransactions: (txs) => Promise.all(txs.map(sign)),
  };
}
