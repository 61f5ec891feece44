import { join } from 'node:path'
import type { FileSystem } from './ports'

/**
 * Claude Code's default config directory, `~/.claude`: an account there runs with CLAUDE_CONFIG_DIR unset,
 * and Claude Code keeps its `.claude.json` beside it in the home folder, not inside.
 */
export const isDefaultConfigDir = (fs: FileSystem, configDir: string) => configDir === join(fs.homedir(), '.claude')

/** Where Claude Code keeps one of an account's JSON files. */
export function claudeFilePath(fs: FileSystem, configDir: string, name: '.claude.json' | '.credentials.json'): string {
  return name === '.claude.json' && isDefaultConfigDir(fs, configDir)
    ? join(fs.homedir(), '.claude.json')
    : join(configDir, name)
}

/** Parsed files by path, kept while their size and modification time stay (`.claude.json` grows to megabytes). */
const parsed = new Map<string, { readonly size: number; readonly mtimeMs: number; readonly value: unknown }>()

/**
 * Parses a JSON file Claude Code keeps for an account. Missing, unreadable or mid-write (unparseable)
 * files give undefined: those are states of the account, not our errors.
 */
export function readClaudeJson(fs: FileSystem, configDir: string, name: '.claude.json' | '.credentials.json'): unknown {
  const path = claudeFilePath(fs, configDir, name)
  let text: string | undefined
  let stat
  try {
    stat = fs.stat(path)
    const cached = parsed.get(path)
    if (stat && cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.value
    text = fs.readText(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EACCES') return undefined
    throw error
  }
  if (text === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(text) as unknown
  } catch {
    return undefined
  }
  if (stat) parsed.set(path, { size: stat.size, mtimeMs: stat.mtimeMs, value })
  return value
}
