import type { PricingOverrides } from '../../../shared/schemas/pricing'
import { AccountLedger } from './ledger'
import { createPriceBook } from './pricing'

export interface BuildRequest {
  readonly configDir: string
  readonly indexDir: string
  readonly pricing: PricingOverrides
}

/** Reads an account's transcripts into its index (with the summary base), as the service itself would. */
export function buildIndex(request: BuildRequest): AccountLedger {
  const ledger = new AccountLedger(request.configDir, AccountLedger.indexPathFor(request.indexDir, request.configDir))
  ledger.load()
  ledger.ingest()
  ledger.summaryBase(createPriceBook(request.pricing))
  ledger.save()
  return ledger
}
