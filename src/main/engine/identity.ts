import { z } from 'zod'
import type { LoginIdentity } from '../../shared/schemas/pool'
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

/** Who is logged in to a config directory, and whether a login exists at all. */
export function readLoginIdentity(fs: FileSystem, configDir: string): LoginIdentity & { loggedIn: boolean } {
  const credentials = readClaudeJson(fs, configDir, '.credentials.json') !== undefined
  const account = ClaudeJsonSchema.safeParse(readClaudeJson(fs, configDir, '.claude.json')).data?.oauthAccount
  return {
    email: account?.emailAddress ?? null,
    organization: account?.organizationName ?? null,
    plan: account?.subscriptionType ?? account?.billingType ?? null,
    loggedIn: credentials || !!account?.emailAddress,
  }
}
