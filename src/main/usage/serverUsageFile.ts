import { mkdirSync, readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../system/atomicFile'
import { pathHash } from '../system/pathHash'
import {
  SERVER_WINDOWS,
  type CalibratedWindow,
  type Calibration,
  type ServerWindow,
  type ServerWindowName,
} from '../../shared/serverWindows'

export type { ServerWindow } from '../../shared/serverWindows'

// Claude's own figures for one account, kept in a small file of its own beside the usage index
// (`<home>/server-usage/<hash>.json`): written by every status-line render and every poll of the usage
// endpoint, by several processes, so each account's file is written whole and the freshest figure of each
// window wins. Parsed by hand here (no zod): the status line runs on every render and loads nothing more.

type WindowName = ServerWindowName

/** How the usage endpoint was last asked, and when it may be asked again. */
export interface PollState {
  readonly lastAttemptAt: number
  /** Epoch ms: not before then (the interval, or a back-off after 429 or 5xx, or a retry-after). */
  readonly nextAllowedAt: number
  readonly failures: number
  /** What went wrong last, said for a person ("the token expired at …"), or null. */
  readonly lastError: string | null
}

export interface ServerUsageRecord {
  readonly configDir: string
  readonly windows: Partial<Record<WindowName, ServerWindow>>
  readonly calibration: Partial<Record<CalibratedWindow, Calibration>>
  readonly poll: PollState | null
}

const CALIBRATED: readonly CalibratedWindow[] = ['fiveHour', 'sevenDay']

const EMPTY = (configDir: string): ServerUsageRecord => ({ configDir, windows: {}, calibration: {}, poll: null })

/**
 * An account's directory as its figures are filed: symlinks resolved, so the status line (which sees the
 * directory as Claude Code was given it) and the pool (as the user spelled it) meet in one file.
 */
function keyOf(configDir: string): string {
  try {
    return realpathSync(configDir)
  } catch {
    return configDir
  }
}

export const serverUsagePath = (home: string, configDir: string) =>
  join(home, 'server-usage', `${pathHash(keyOf(configDir))}.json`)

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

function windowOf(v: unknown): ServerWindow | undefined {
  if (!isObject(v) || !finite(v.percent) || v.percent < 0 || !finite(v.observedAt)) return undefined
  if (v.source !== 'statusline' && v.source !== 'endpoint') return undefined
  return {
    percent: v.percent,
    resetsAt: finite(v.resetsAt) ? v.resetsAt : null,
    observedAt: v.observedAt,
    source: v.source,
  }
}

function calibrationOf(v: unknown): Calibration | undefined {
  if (!isObject(v) || !finite(v.dollarsPerPercent) || v.dollarsPerPercent <= 0 || !finite(v.samples)) return undefined
  return {
    dollarsPerPercent: v.dollarsPerPercent,
    samples: v.samples,
    lastObservedAt: finite(v.lastObservedAt) ? v.lastObservedAt : 0,
  }
}

/** The account's record; an empty one when there is none, or it is unreadable (it is only a cache). */
export function readServerUsage(home: string, configDir: string): ServerUsageRecord {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(serverUsagePath(home, configDir), 'utf8'))
  } catch {
    return EMPTY(configDir)
  }
  if (!isObject(raw) || raw.configDir !== keyOf(configDir)) return EMPTY(configDir)
  const windows: Partial<Record<WindowName, ServerWindow>> = {}
  for (const name of SERVER_WINDOWS) {
    const w = windowOf(isObject(raw.windows) ? raw.windows[name] : undefined)
    if (w) windows[name] = w
  }
  const calibration: Partial<Record<CalibratedWindow, Calibration>> = {}
  for (const name of CALIBRATED) {
    const c = calibrationOf(isObject(raw.calibration) ? raw.calibration[name] : undefined)
    if (c) calibration[name] = c
  }
  const p = raw.poll
  const poll =
    isObject(p) && finite(p.lastAttemptAt) && finite(p.nextAllowedAt) && finite(p.failures)
      ? {
          lastAttemptAt: p.lastAttemptAt,
          nextAllowedAt: p.nextAllowedAt,
          failures: p.failures,
          lastError: typeof p.lastError === 'string' ? p.lastError : null,
        }
      : null
  return { configDir, windows, calibration, poll }
}

/**
 * Merges into the account's file and writes it whole: each window keeps the fresher of what is there and
 * what comes; `calibration` and `poll` replace theirs when given. Returns the record as written.
 */
export function writeServerUsage(
  home: string,
  configDir: string,
  update: {
    readonly windows?: Partial<Record<WindowName, ServerWindow>>
    readonly calibration?: ServerUsageRecord['calibration']
    readonly poll?: PollState
  },
): ServerUsageRecord {
  const current = readServerUsage(home, configDir)
  const windows = { ...current.windows }
  for (const name of SERVER_WINDOWS) {
    const next = update.windows?.[name]
    if (next && !(windows[name] && windows[name].observedAt > next.observedAt)) windows[name] = next
  }
  const record: ServerUsageRecord = {
    configDir: keyOf(configDir),
    windows,
    calibration: { ...current.calibration, ...update.calibration },
    poll: update.poll ?? current.poll,
  }
  const path = serverUsagePath(home, configDir)
  mkdirSync(join(home, 'server-usage'), { recursive: true, mode: 0o700 })
  writeFileAtomic(path, JSON.stringify(record), { durable: false }) // a cache: the next render writes it again
  return record
}
