import { clockTime, span } from '../../shared/format'

export { ago, money, percent } from '../../shared/format'

/**
 * Times in the user's local time zone, in one format everywhere: "14:00", "14:00 yesterday",
 * "14:00 on Tue", "14:00 on Dec 4" (as the tray and the command line say them).
 */
export const clock = (iso: string | null | undefined) => clockTime(iso)
export const dateTime = clock

/** A calendar day, from a time or a local date ("2026-12-04"): "Dec 4". */
export function day(isoOrDate: string): string {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(isoOrDate) ? new Date(`${isoOrDate}T12:00:00`) : new Date(isoOrDate)
  return date.toLocaleDateString([], { month: 'short', day: 'numeric' })
}

/** A span of time: "42 min", "2 h 10 min", "3 d 4 h" (the same words as the command line). */
export const duration = (ms: number) => span(ms)

/** A count with its noun: "1 session", "3 sessions". */
export const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

export function tokens(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`
  return String(n)
}

/** All tokens of a count: input, output, cache writes and cache reads. */
export const totalTokens = (t: { input: number; output: number; cacheCreation: number; cacheRead: number }) =>
  t.input + t.output + t.cacheCreation + t.cacheRead
