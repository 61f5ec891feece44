import { spawnSync } from 'node:child_process'
import { appendFileSync, mkdirSync, readFileSync, statSync, truncateSync } from 'node:fs'
import { basename, join, sep } from 'node:path'
import { isObject, writeServerUsage, type ServerWindow } from '../usage/serverUsageFile'
import { span } from '../../shared/format'
import { previousStatusLineCommand } from '../launcher/statusLineRecord'

// `auth-pool statusline`, run by Claude Code on every render of its status line with a JSON document on
// stdin. It records the account's rate limits (the `rate_limits` Claude Code passes under a subscription)
// and prints a status line: the user's own status-line command's, or a compact one of its own. It must be
// quick and must never break the render: whatever goes wrong is written to Auth Pool's log, not shown.

export interface StatuslineIo {
  readonly env: NodeJS.ProcessEnv
  readonly home: string
  readonly stdin: string
  readonly now: number
  readonly stdout: (text: string) => void
}

/** A window of `rate_limits` (`used_percentage` 0–100, `resets_at` in epoch seconds), or undefined. */
function windowOf(v: unknown, now: number): ServerWindow | undefined {
  if (!isObject(v) || typeof v.used_percentage !== 'number' || !Number.isFinite(v.used_percentage)) return undefined
  if (v.used_percentage < 0 || v.used_percentage > 1000) return undefined
  const resets = typeof v.resets_at === 'number' && Number.isFinite(v.resets_at) ? v.resets_at * 1000 : null
  return { percent: v.used_percentage, resetsAt: resets, observedAt: now, source: 'statusline' }
}

/** The account's config directory: Claude Code's CLAUDE_CONFIG_DIR, else where the transcript lives, else ~/.claude. */
export function configDirOf(env: NodeJS.ProcessEnv, transcriptPath: unknown): string {
  if (env.CLAUDE_CONFIG_DIR) return env.CLAUDE_CONFIG_DIR.replace(/[\\/]+$/, '')
  if (typeof transcriptPath === 'string') {
    const at = transcriptPath.lastIndexOf(`${sep}projects${sep}`)
    if (at > 0) return transcriptPath.slice(0, at)
  }
  return join(env.HOME ?? '', '.claude')
}

/** Appends a line to Auth Pool's log (kept under 1 MB): what a status line must not show. */
export function logProblem(home: string, now: number, message: string): void {
  try {
    const path = join(home, 'auth-pool.log')
    mkdirSync(home, { recursive: true, mode: 0o700 })
    try {
      if (statSync(path).size > 1 << 20) truncateSync(path, 0)
    } catch {
      // no log yet
    }
    appendFileSync(path, `${new Date(now).toISOString()} statusline: ${message}\n`, { mode: 0o600 })
  } catch {
    // The log itself cannot be written: nothing more to do without breaking the render.
  }
}

/** The name the pool knows the account by, read from the state file without loading the pool. */
function accountName(home: string, configDir: string): string {
  try {
    const doc = JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as unknown
    if (isObject(doc) && Array.isArray(doc.accounts))
      for (const a of doc.accounts)
        if (isObject(a) && a.configDir === configDir && typeof a.name === 'string') return a.name
  } catch {
    // no pool yet, or unreadable: the folder's name will do
  }
  return basename(configDir)
}

/** `work · 5h 42% (resets 2 h 10 min) · 7d 18%`, from what this render said. */
export function compactLine(
  name: string,
  fiveHour: ServerWindow | undefined,
  sevenDay: ServerWindow | undefined,
  now: number,
) {
  const parts = [name]
  if (fiveHour)
    parts.push(
      `5h ${Math.round(fiveHour.percent)}%${fiveHour.resetsAt ? ` (resets ${span(fiveHour.resetsAt - now)})` : ''}`,
    )
  if (sevenDay) parts.push(`7d ${Math.round(sevenDay.percent)}%`)
  return parts.join(' · ')
}

export function runStatusline(io: StatuslineIo): void {
  let payload: Record<string, unknown> = {}
  try {
    const parsed = JSON.parse(io.stdin) as unknown
    if (isObject(parsed)) payload = parsed
    else logProblem(io.home, io.now, 'the status line input was not a JSON object')
  } catch (error) {
    logProblem(io.home, io.now, `the status line input was not JSON (${(error as Error).message})`)
  }
  const configDir = configDirOf(io.env, payload.transcript_path)
  const limits = isObject(payload.rate_limits) ? payload.rate_limits : {}
  const fiveHour = windowOf(limits.five_hour, io.now)
  const sevenDay = windowOf(limits.seven_day, io.now)
  if (fiveHour || sevenDay)
    try {
      writeServerUsage(io.home, configDir, {
        windows: { ...(fiveHour && { fiveHour }), ...(sevenDay && { sevenDay }) },
      })
    } catch (error) {
      logProblem(io.home, io.now, `could not record ${configDir}'s figures (${(error as Error).message})`)
    }
  const previous = previousStatusLineCommand(io.home, configDir)
  if (previous) {
    // The user's own line, run as Claude Code runs a status line: by the shell, in the same folder, with
    // the same input.
    const run = spawnSync(previous, { shell: true, input: io.stdin, encoding: 'utf8', env: io.env, timeout: 5_000 })
    if (run.status !== 0 || run.error)
      logProblem(
        io.home,
        io.now,
        `the previous status line command failed (${run.error?.message ?? `exit ${run.status}`})`,
      )
    io.stdout(run.stdout ?? '')
    return
  }
  io.stdout(`${compactLine(accountName(io.home, configDir), fiveHour, sevenDay, io.now)}\n`)
}
