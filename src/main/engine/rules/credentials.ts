import { join } from 'node:path'
import { z } from 'zod'
import type { FileSystem } from '../ports'

// Only the expiry is read; tokens are never parsed into anything we keep.
const CredentialsSchema = z.object({ claudeAiOauth: z.object({ expiresAt: z.number().finite() }).loose() }).loose()

/** When the account's Claude login expires (ms), from `<configDir>/.credentials.json`, or null when unknown. */
export function loginExpiry(fs: FileSystem, configDir: string): number | null {
  let text: string | undefined
  try {
    text = fs.readText(join(configDir, '.credentials.json'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EACCES') return null
    throw error
  }
  if (text === undefined) return null
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null // being rewritten by Claude Code, or not ours to judge: no expiry known
  }
  const parsed = CredentialsSchema.safeParse(value)
  return parsed.success ? parsed.data.claudeAiOauth.expiresAt : null
}
