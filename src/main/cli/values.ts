import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { PLANS, type Plan } from '../../shared/schemas/account'
import { UsageError } from './args'

// Parsers of the values flags take: each names the flag and what the user typed when it refuses one.

const shown = (raw: string) => JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}…` : raw)

/** A whole number written in decimal (not 0x10, 1.5 or 1e2) between `min` and `max`. */
export const integer =
  (min: number, max: number) =>
  (raw: string, flag: string): number => {
    const n = Number(raw)
    if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max)
      throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${shown(raw)}`)
    return n
  }

/** An amount of US dollars: a plain decimal with at most two decimals, from 0.01 to 1,000,000. */
export function dollars(raw: string, flag: string): number {
  const n = Number(raw)
  if (!/^\d+(\.\d{1,2})?$/.test(raw.trim()) || n < 0.01 || n > 1_000_000)
    throw new UsageError(
      `${flag} must be an amount in US dollars from 0.01 to 1000000 (like 40 or 12.50), got ${shown(raw)}`,
    )
  return n
}

/** A date (2026-12-01) or a date and time (2026-12-01T09:00, local unless it has a zone), as epoch ms. */
export function dateOrTime(raw: string, flag: string): number {
  const at = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw.trim())
    ? Date.parse(raw.length === 10 ? `${raw}T00:00` : raw)
    : NaN
  if (!Number.isFinite(at))
    throw new UsageError(`${flag} must be a date (2026-12-01) or a date and time (2026-12-01T09:00), got ${shown(raw)}`)
  return at
}

/** One of the plans. */
export function plan(raw: string, flag: string): Plan {
  if (!(PLANS as readonly string[]).includes(raw))
    throw new UsageError(`${flag} must be one of ${PLANS.join(', ')}, got ${shown(raw)}`)
  return raw as Plan
}

/** One of `choices` (each choice mapped to what it means). */
export const oneOf =
  <T>(choices: Readonly<Record<string, T>>) =>
  (raw: string, flag: string): T => {
    if (!Object.hasOwn(choices, raw))
      throw new UsageError(`${flag} must be one of ${Object.keys(choices).join(', ')}, got ${shown(raw)}`)
    return choices[raw]!
  }

/** A path as typed: not empty, no control characters, no longer than any system allows. */
export function pathText(raw: string, flag: string): string {
  if (raw.trim() === '' || raw.length > 4096 || /[\u0000-\u001f]/.test(raw))
    throw new UsageError(`${flag} must be a path (at most 4096 characters, no line breaks), got ${shown(raw)}`)
  return raw
}

/** An existing folder, absolute. */
export function folder(raw: string, flag: string): string {
  const path = resolve(pathText(raw, flag))
  let isFolder = false
  try {
    isFolder = statSync(path).isDirectory()
  } catch {
    throw new UsageError(`${flag} ${path} does not exist`)
  }
  if (!isFolder) throw new UsageError(`${flag} ${path} is not a folder`)
  return path
}

/** An account's name or id as typed: short, printable. */
export function accountRef(raw: string, what: string): string {
  if (raw.trim() === '' || raw.length > 64 || /[\u0000-\u001f]/.test(raw))
    throw new UsageError(`${what} must be an account's name (see auth-pool accounts list), got ${shown(raw)}`)
  return raw
}

/** A session id: a UUID. */
export function sessionId(raw: string, what: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(raw))
    throw new UsageError(`${what} must be a session id (see auth-pool sessions), got ${shown(raw)}`)
  return raw.toLowerCase()
}
