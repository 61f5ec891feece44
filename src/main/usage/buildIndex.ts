import type { PricingOverrides } from '../../shared/schemas/pricing'
import { AccountLedger } from './ledger'
import { createPriceBook, type PriceBook } from './pricing'

/** A cold start's accounts, shared by the threads that build their indexes. */
export interface BuildRequest {
  readonly configDirs: readonly string[]
  readonly indexDir: string
  readonly pricing: PricingOverrides
  /** The next account to claim (index into configDirs), shared by every thread taking part. */
  readonly next: Int32Array
}

/** Claims the next account of a shared queue: each index is handed to exactly one thread. */
export const claimNext = (next: Int32Array): number => Atomics.add(next, 0, 1)

/**
 * An account's ledger brought up to date: its index loaded (if any), what is new in its transcripts
 * read, the summary base computed if the index had none for these prices, the index written back if it
 * can be (see AccountLedger.trySave).
 */
export function buildIndex(configDir: string, indexDir: string, prices: PriceBook): AccountLedger {
  const ledger = new AccountLedger(configDir, AccountLedger.indexPathFor(indexDir, configDir))
  ledger.load()
  ledger.ingest()
  ledger.summaryBase(prices) // kept in the index with the entries, so one write holds both
  ledger.trySave()
  return ledger
}

/** A worker's share of a cold start: accounts claimed until none is left. Returns those it built. */
export function buildClaimed(request: BuildRequest): number[] {
  const built: number[] = []
  const prices = createPriceBook(request.pricing)
  for (let i = claimNext(request.next); i < request.configDirs.length; i = claimNext(request.next)) {
    try {
      // Built means written: the main thread takes the account from its index.
      if (buildIndex(request.configDirs[i]!, request.indexDir, prices).saveError === null) built.push(i)
    } catch {
      // Left without an index: the main thread reads this account itself when it first needs it.
    }
  }
  return built
}
