import { z } from 'zod'
import type { LoginIdentity } from '../../shared/schemas/pool'
import type { LoginState } from '../../shared/schemas/serverUsage'
import { readClaudeJson } from './configFiles'
import type { FileSystem } from './ports'

// Only identity fields are read from .claude.json; nothing secret is kept.
const ClaudeJsonSchema = z
  .object({
    oauthAccount: z
      .object({
        emailAddress: z.string().optional(),
        organizationName: z.string().optional(),
        billingType: z.string().optional(),
        subscriptionType: z.string().optional(),
      })
      .loose()
      .optional(),
  })
  .loose()

// Whether a token is there and when it expires; the tokens themselves are never kept or passed on.
const CredentialsSchema = z
  .object({
    claudeAiOauth: z
      .object({
        accessToken: z.string().optional(),
        refreshToken: z.string().optional(),
        expiresAt: z.number().finite().optional(),
      })
      .loose()
      .optional(),
  })
  .loose()

/**
 * Whether Claude Code can run on the account by itself. Logged in: a Claude login in `.credentials.json`
 * (Linux, Windows) or an `oauthAccount` in `.claude.json` (macOS keeps the token in the Keychain). Expired:
 * a token past its expiry with no refresh token for Claude Code to renew it (one with a refresh token is
 * renewed by Claude Code as it starts, so it is still a login).
 */
export function loginStateOf(fs: FileSystem, configDir: string, now: number): LoginState {
  const oauth = CredentialsSchema.safeParse(readClaudeJson(fs, configDir, '.credentials.json')).data?.claudeAiOauth
  if (oauth && (oauth.accessToken || oauth.refreshToken)) {
    const expired = oauth.expiresAt !== undefined && oauth.expiresAt <= now && !oauth.refreshToken
    return expired ? 'expired' : 'logged_in'
  }
  const account = ClaudeJsonSchema.safeParse(readClaudeJson(fs, configDir, '.claude.json')).data?.oauthAccount
  return account ? 'logged_in' : 'logged_out'
}

/** When the account's Claude login expires (ms), from `<configDir>/.credentials.json`, or null when unknown. */
export function loginExpiry(fs: FileSystem, configDir: string): number | null {
  return (
    CredentialsSchema.safeParse(readClaudeJson(fs, configDir, '.credentials.json')).data?.claudeAiOauth?.expiresAt ??
    null
  )
}

/** Who is logged in to a config directory, and whether that login can run Claude Code. */
export function readLoginIdentity(
  fs: FileSystem,
  configDir: string,
  now = Date.now(),
): LoginIdentity & { loggedIn: boolean; login: LoginState } {
  const account = ClaudeJsonSchema.safeParse(readClaudeJson(fs, configDir, '.claude.json')).data?.oauthAccount
  const login = loginStateOf(fs, configDir, now)
  return {
    email: account?.emailAddress ?? null,
    organization: account?.organizationName ?? null,
    plan: account?.subscriptionType ?? account?.billingType ?? null,
    loggedIn: login === 'logged_in',
    login,
  }
}
