import { join } from 'node:path'
import { z } from 'zod'
import type { LoginIdentity } from '../../shared/schemas/pool'
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
  const none = { email: null, organization: null, plan: null, loggedIn: false }
  let text: string | undefined
  try {
    text = fs.readText(join(configDir, '.claude.json'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EACCES') return none
    throw error
  }
  const credentials = fs.readText(join(configDir, '.credentials.json')) !== undefined
  if (text === undefined) return { ...none, loggedIn: credentials }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ...none, loggedIn: credentials } // mid-write by Claude Code: no identity this time
  }
  const account = ClaudeJsonSchema.safeParse(value).data?.oauthAccount
  return {
    email: account?.emailAddress ?? null,
    organization: account?.organizationName ?? null,
    plan: account?.subscriptionType ?? account?.billingType ?? null,
    loggedIn: credentials || !!account?.emailAddress,
  }
}
