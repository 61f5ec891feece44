import { z } from 'zod'
import { readClaudeJson } from '../configFiles'
import type { FileSystem } from '../ports'

// Only the expiry is read; tokens are never parsed into anything we keep.
const CredentialsSchema = z.object({ claudeAiOauth: z.object({ expiresAt: z.number().finite() }).loose() }).loose()

/** When the account's Claude login expires (ms), from `<configDir>/.credentials.json`, or null when unknown. */
export function loginExpiry(fs: FileSystem, configDir: string): number | null {
  const parsed = CredentialsSchema.safeParse(readClaudeJson(fs, configDir, '.credentials.json'))
  return parsed.success ? parsed.data.claudeAiOauth.expiresAt : null
}
