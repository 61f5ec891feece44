import { mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { ValidationError } from '../../shared/errors'
import { writeFileAtomic } from '../system/atomicFile'
import {
  previousStatusLineCommand,
  readStatusLineRecord,
  statusLineRecordPath,
  type StatusLineRecord,
} from './statusLineRecord'

// `auth-pool accounts set NAME --statusline on|off`: Auth Pool's status line in an account's
// `settings.json`, where Claude Code runs it on every render with the account's rate limits on stdin.
// The file is the user's: only the `statusLine` member's text changes, every other byte stays. What was
// there before (the user's own status line, and the whole file) is kept in Auth Pool's home, so `off`
// puts it back exactly, and `auth-pool statusline` can still print the user's own line meanwhile.

/** A member of the top-level object: where its key starts, and its value's text. */
interface Member {
  readonly key: string
  readonly start: number
  readonly valueStart: number
  readonly valueEnd: number
}

/** The top-level members of a JSON object text, with their places (the text has been parsed already). */
function topLevelMembers(text: string): { members: Member[]; close: number } {
  const members: Member[] = []
  let depth = 0
  let i = 0
  let key: { key: string; start: number } | null = null
  let valueStart = -1
  const endValue = (at: number) => {
    if (key && valueStart >= 0) members.push({ ...key, valueStart, valueEnd: at })
    key = null
    valueStart = -1
  }
  while (i < text.length) {
    const c = text[i]!
    if (c === '"') {
      const start = i
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++
      i++
      if (depth === 1 && !key) key = { key: JSON.parse(text.slice(start, i)) as string, start }
      else if (depth === 1 && valueStart < 0) valueStart = start
      continue
    }
    if (c === '{' || c === '[') {
      if (depth === 1 && valueStart < 0) valueStart = i
      depth++
    } else if (c === '}' || c === ']') {
      depth--
      if (depth === 0) {
        if (valueStart >= 0) endValue(trimEnd(text, i))
        return { members, close: i }
      }
    } else if (depth === 1 && c === ',') endValue(trimEnd(text, i))
    else if (depth === 1 && key && valueStart < 0 && !/[\s:]/.test(c)) valueStart = i
    i++
  }
  throw new Error('unterminated object')
}

const trimEnd = (text: string, at: number) => {
  while (at > 0 && /\s/.test(text[at - 1]!)) at--
  return at
}

/** The indentation of the line `at` is on. */
const indentAt = (text: string, at: number) => /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', at) + 1))![0]

function readSettings(configDir: string): { path: string; text: string | null; members: Member[]; close: number } {
  const path = join(configDir, 'settings.json')
  let text: string | null = null
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  if (text === null) return { path, text, members: [], close: -1 }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw ValidationError.field(
      'statusline',
      `cannot be changed: ${path} is not valid JSON (${(error as Error).message}); fix the file first, nothing was changed`,
    )
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw ValidationError.field('statusline', `cannot be changed: ${path} does not hold a JSON object`)
  return { path, text, ...topLevelMembers(text) }
}

/** settings.json with the `statusLine` member's value replaced by `value` (JSON text), added or removed (null). */
function withStatusLine(text: string | null, members: Member[], close: number, value: string | null): string | null {
  const current = members.find((m) => m.key === 'statusLine')
  if (text === null) return value === null ? null : `{\n  "statusLine": ${value}\n}\n`
  if (current && value !== null) return text.slice(0, current.valueStart) + value + text.slice(current.valueEnd)
  if (current) {
    const index = members.indexOf(current)
    // Removed with the comma that joined it to its neighbour, and the line it stood on.
    if (index > 0) return text.slice(0, members[index - 1]!.valueEnd) + text.slice(current.valueEnd)
    const next = members[1]
    return text.slice(0, current.start) + (next ? text.slice(next.start) : text.slice(trimEnd(text, close)).trimStart())
  }
  if (value === null) return text
  const last = members.at(-1)
  if (!last) return `${text.slice(0, text.indexOf('{') + 1)}\n  "statusLine": ${value}\n${text.slice(close)}`
  return `${text.slice(0, last.valueEnd)},\n${indentAt(text, last.start)}"statusLine": ${value}${text.slice(last.valueEnd)}`
}

/** Whether the account's settings.json runs Auth Pool's status line now. */
export function statusLineInstalled(home: string, configDir: string): boolean {
  const record = readStatusLineRecord(home, configDir)
  try {
    return !!record && runsOurs(record, readSettings(configDir))
  } catch {
    return false
  }
}

/** Whether settings.json's `statusLine` is the command the record says Auth Pool installed. */
function runsOurs(record: StatusLineRecord, settings: { text: string | null; members: Member[] }): boolean {
  const member = settings.members.find((m) => m.key === 'statusLine')
  if (!settings.text || !member) return false
  try {
    const value = JSON.parse(settings.text.slice(member.valueStart, member.valueEnd)) as { command?: unknown }
    return value.command === record.command
  } catch {
    return false
  }
}

/** The command Claude Code runs for Auth Pool's status line: the auth-pool command, quoted for a POSIX shell. */
export const statusLineCommand = (executable: string) => `'${executable.replace(/'/g, `'\\''`)}' statusline`

/**
 * Puts Auth Pool's status line in the account's settings.json (creating the file if needed), keeping the
 * user's own to put back; returns false when it was there already.
 */
export function installStatusLine(home: string, configDir: string, command: string): boolean {
  if (statusLineInstalled(home, configDir)) return false
  const { path, text, members, close } = readSettings(configDir)
  const previous = members.find((m) => m.key === 'statusLine')
  const value = JSON.stringify({ type: 'command', command, padding: 0 })
  const installed = withStatusLine(text, members, close, value)!
  const record: StatusLineRecord = {
    configDir,
    command,
    previous: previous && text ? text.slice(previous.valueStart, previous.valueEnd) : null,
    original: text,
    installed,
  }
  mkdirSync(join(home, 'statusline'), { recursive: true, mode: 0o700 })
  writeFileAtomic(statusLineRecordPath(home, configDir), JSON.stringify(record))
  const mode = text === null ? 0o600 : statSync(path).mode & 0o777
  writeFileAtomic(path, installed, { mode })
  return true
}

/**
 * Takes Auth Pool's status line out of the account's settings.json: the file as it was when nothing else
 * changed since, else the user's own `statusLine` put back (or the member removed) among their changes.
 * Returns false when it was not installed.
 */
export function removeStatusLine(home: string, configDir: string): boolean {
  const record = readStatusLineRecord(home, configDir)
  if (!record) return false
  const { path, text, members, close } = readSettings(configDir)
  if (runsOurs(record, { text, members })) {
    if (text === record.installed && record.original === null) unlinkSync(path)
    else {
      const restored =
        text === record.installed ? record.original! : withStatusLine(text, members, close, record.previous)!
      writeFileAtomic(path, restored, { mode: statSync(path).mode & 0o777 })
    }
  }
  unlinkSync(statusLineRecordPath(home, configDir))
  return true
}

/** Turns Auth Pool's status line on or off for an account; a sentence saying what changed. */
export function setStatusLine(
  home: string,
  account: { readonly name: string; readonly configDir: string },
  on: boolean,
  executable: string,
): string {
  if (!on)
    return removeStatusLine(home, account.configDir)
      ? `${account.name}'s status line is back as it was`
      : `Auth Pool's status line was not on for ${account.name}`
  if (!installStatusLine(home, account.configDir, statusLineCommand(executable)))
    return `Auth Pool's status line is on for ${account.name} already`
  const own = previousStatusLineCommand(home, account.configDir)
  return `Claude Code on ${account.name} now reports its 5-hour and weekly usage to Auth Pool${own ? `; your own status line (${own}) still prints` : ''}`
}
