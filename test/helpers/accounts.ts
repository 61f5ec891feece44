import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
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

/**
 * Claude Code's record of who is logged in to a config directory: an `oauthAccount` in its `.claude.json`,
 * as macOS leaves it (the token in the Keychain; none here, so nothing asks Anthropic for its usage).
 */
export function writeLogin(configDir: string, email = 'dev@example.com'): void {
  writeFileSync(join(configDir, '.claude.json'), JSON.stringify({ oauthAccount: { emailAddress: email } }))
}

/**
 * A Claude login as Claude Code writes it on Linux (`.credentials.json`): the real CLI sends its access
 * token to ANTHROPIC_BASE_URL, and Auth Pool's poller to AUTH_POOL_API_BASE_URL. Tests only: no real token.
 */
export function writeCredentials(
  configDir: string,
  login: { readonly accessToken: string; readonly expiresAt: number; readonly refreshToken?: string | null },
): void {
  const refresh =
    login.refreshToken === null ? {} : { refreshToken: login.refreshToken ?? `${login.accessToken}-refresh` }
  writeFileSync(
    join(configDir, '.credentials.json'),
    JSON.stringify({
      claudeAiOauth: {
        accessToken: login.accessToken,
        ...refresh,
        expiresAt: login.expiresAt,
        scopes: ['user:inference', 'user:profile'],
        subscriptionType: 'max',
      },
    }),
    { mode: 0o600 },
  )
}
