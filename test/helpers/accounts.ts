import type { Account } from '../../src/shared/schemas/account'

/** An account as the store keeps it, for tests that write documents directly: `max5`, enabled, unused. */
export function accountRecord(fields: Pick<Account, 'id' | 'name' | 'configDir'>): Account {
  return {
    plan: 'max5',
    blockBudgetUsd: null,
    weeklyBudgetUsd: null,
    enabled: true,
    priority: 0,
    createdAt: '2026-11-27T10:00:00.000Z',
    lastAllocatedAt: null,
    sessionsStarted: 0,
    limitedUntil: null,
    ...fields,
  }
}
