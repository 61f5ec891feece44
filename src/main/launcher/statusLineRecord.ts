import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathHash } from '../system/pathHash'

// What Auth Pool keeps while its status line is installed in an account's settings.json: read by the
// setting's `on`/`off` and by `auth-pool statusline` (which runs the user's own line), so nothing heavy here.

export interface StatusLineRecord {
  readonly configDir: string
  /** The command Auth Pool installed. */
  readonly command: string
  /** The `statusLine` member's value as the user wrote it (JSON text), or null when there was none. */
  readonly previous: string | null
  /** settings.json as it was, or null when there was none; and as Auth Pool left it. */
  readonly original: string | null
  readonly installed: string
}

export const statusLineRecordPath = (home: string, configDir: string) =>
  join(home, 'statusline', `${pathHash(configDir)}.json`)

/** The account's record, or null when Auth Pool's status line is not installed there (or it is unreadable). */
export function readStatusLineRecord(home: string, configDir: string): StatusLineRecord | null {
  try {
    const record = JSON.parse(readFileSync(statusLineRecordPath(home, configDir), 'utf8')) as Partial<StatusLineRecord>
    const ok =
      record.configDir === configDir &&
      typeof record.command === 'string' &&
      typeof record.installed === 'string' &&
      (record.previous === null || typeof record.previous === 'string') &&
      (record.original === null || typeof record.original === 'string')
    return ok ? (record as StatusLineRecord) : null
  } catch {
    return null
  }
}

/** The user's own status-line command, as it was before Auth Pool's took its place. */
export function previousStatusLineCommand(home: string, configDir: string): string | undefined {
  const record = readStatusLineRecord(home, configDir)
  if (!record?.previous) return undefined
  try {
    const previous = JSON.parse(record.previous) as { type?: unknown; command?: unknown } | null
    return previous?.type === 'command' && typeof previous.command === 'string' ? previous.command : undefined
  } catch {
    return undefined
  }
}
