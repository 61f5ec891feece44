import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'

// An account's Claude access token, read where Claude Code keeps it, at the moment a request needs it,
// and handed only to the usage endpoint's request. Never refreshed (a refresh token is single-use: using
// it would sign Claude Code out), never copied into Auth Pool's files, never logged or shown.

const CredentialsSchema = z.object({
  claudeAiOauth: z.object({ accessToken: z.string().min(1), expiresAt: z.number().finite().optional() }).loose(),
})

export interface AccessToken {
  readonly token: string
  readonly expiresAt: number | null
}

export interface TokenSources {
  readonly platform: NodeJS.Platform
  /** The user's home folder: Claude Code's default config directory is `<home>/.claude`. */
  readonly homedir: string
  readonly user: string | undefined
  /** `security find-generic-password -w` on macOS: the secret's text, or undefined when there is no entry. */
  readonly readKeychain?: (service: string, user: string) => string | undefined
}

/**
 * The macOS Keychain service Claude Code files an account's credentials under: `Claude Code-credentials`
 * for its default directory, else with the first 8 hex digits of the sha256 of CLAUDE_CONFIG_DIR as it
 * was spelled (NFC), which is why Auth Pool keeps each account's directory as the user typed it.
 */
export function keychainService(configDir: string, isDefault: boolean): string {
  if (isDefault) return 'Claude Code-credentials'
  // Loaded here: node:crypto takes a noticeable part of a short command's start, and only macOS needs it.
  const hash = process
    .getBuiltinModule('node:crypto')
    .createHash('sha256')
    .update(configDir.normalize('NFC'))
    .digest('hex')
    .slice(0, 8)
  return `Claude Code-credentials-${hash}`
}

function macKeychain(service: string, user: string): string | undefined {
  try {
    return process
      .getBuiltinModule('node:child_process')
      .execFileSync('security', ['find-generic-password', '-a', user, '-w', '-s', service], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5_000,
      })
      .trim()
  } catch {
    return undefined // no such entry, or the Keychain refused: the account has no token we can use
  }
}

/** The token in credentials JSON, or null when there is none (or the text is not credentials). */
function parseCredentials(text: string | undefined): AccessToken | null {
  if (text === undefined) return null
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return null
  }
  const oauth = CredentialsSchema.safeParse(json).data?.claudeAiOauth
  return oauth ? { token: oauth.accessToken, expiresAt: oauth.expiresAt ?? null } : null
}

/** The account's access token, from the Keychain on macOS (else) `<configDir>/.credentials.json`. */
export function readAccessToken(configDir: string, sources: TokenSources): AccessToken | null {
  if (sources.platform === 'darwin') {
    const service = keychainService(configDir, configDir === join(sources.homedir, '.claude'))
    // The account name Claude Code files it under: $USER when it is a plain name (as Claude Code checks).
    const user = sources.user && /^[a-zA-Z0-9._-]+$/.test(sources.user) ? sources.user : 'claude-code-user'
    const secret = (sources.readKeychain ?? macKeychain)(service, user)
    if (secret !== undefined) return parseCredentials(secret)
  }
  try {
    return parseCredentials(readFileSync(join(configDir, '.credentials.json'), 'utf8'))
  } catch {
    return null // none, or not readable by this user: no token to ask with
  }
}
