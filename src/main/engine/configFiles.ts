import { join } from 'node:path'
import type { FileSystem } from './ports'

/**
 * Parses a JSON file Claude Code keeps in an account's config directory. Missing, unreadable or
 * mid-write (unparseable) files give undefined: those are states of the account, not our errors.
 */
export function readClaudeJson(fs: FileSystem, configDir: string, name: '.claude.json' | '.credentials.json'): unknown {
  let text: string | undefined
  try {
    text = fs.readText(join(configDir, name))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EACCES') return undefined
    throw error
  }
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
