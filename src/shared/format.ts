// Formatting shared by the tray, notifications, the CLI and the dashboard, so they read the same.

/** Days since the epoch on the local calendar (a day starts at local midnight). */
const localDay = (ms: number): number => {
  const d = new Date(ms)
  return Math.floor(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) / 86_400_000)
}

/**
 * A time as HH:MM in the user's locale and time zone, with its day when that is not today (as of `now`):
 * "23:10 yesterday", "09:00 tomorrow", "14:00 on Tue" within the week, "14:00 on Dec 4" beyond (so it
 * reads after "until", "at", "from"). A weekly limit frees up days ahead; "14:00" alone reads as today.
 */
export function clockTime(iso: string | null | undefined, missing = '—', now: number = Date.now()): string {
  if (!iso) return missing
  const at = new Date(iso)
  const time = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  const days = localDay(at.getTime()) - localDay(now)
  if (days === 0) return time
  if (days === 1) return `${time} tomorrow`
  if (days === -1) return `${time} yesterday`
  if (days > 1 && days < 7) return `${time} on ${at.toLocaleDateString([], { weekday: 'short' })}`
  return `${time} on ${at.toLocaleDateString([], { month: 'short', day: 'numeric' })}`
}

/**
 * Orders strings by their code units: ISO times chronologically, account names (ASCII by their schema)
 * alphabetically. Not localeCompare, whose first call sets up ICU's collator, a noticeable part of a command.
 */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

export const money = (usd: number): string => `$${usd.toFixed(2)}`

/**
 * A line for a user about to use an account that is near or past its limit, or nothing: "work is near
 * its limit (5-hour window 92%, week 40%)", "work is limited until 14:00 (…)".
 */
export function limitWarning(account: {
  readonly name: string
  readonly standing: {
    readonly status: string
    readonly reason: string
    readonly freesAt: string | null
    readonly blockRatio: number
    readonly weekRatio: number
  }
}): string | undefined {
  const s = account.standing
  if (s.status === 'near_limit')
    return `${account.name} is near its limit (5-hour window ${percent(s.blockRatio)}, week ${percent(s.weekRatio)})`
  if (s.status === 'limited')
    return `${account.name} is limited${s.freesAt ? ` until ${clockTime(s.freesAt)}` : ''} (${s.reason})`
  if (s.status === 'disabled') return `${account.name} is disabled`
  return undefined
}

export const percent = (ratio: number): string => `${Math.round(ratio * 100)}%`

/** A span of time for a person: "42 min", "2 h 10 min", "3 d 4 h". */
export function span(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000))
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ${minutes % 60} min`
  return `${Math.floor(hours / 24)} d ${hours % 24} h`
}

/** How long ago something was observed: "just now", "3 min ago", "2 h 5 min ago". */
export const ago = (iso: string, now: number = Date.now()): string =>
  now - Date.parse(iso) < 60_000 ? 'just now' : `${span(now - Date.parse(iso))} ago`

interface ServerWindowLike {
  readonly percent: number
  readonly resetsAt: string | null
}

/**
 * Claude's own figures in one line: "5h 42% (resets in 2 h 10 min) · week 18% · Opus week 80% · as of
 * 3 min ago", with "stale" when the local estimate decides instead; null without any.
 */
export function serverSummary(
  server: {
    readonly fiveHour: ServerWindowLike | null
    readonly sevenDay: ServerWindowLike | null
    readonly sevenDayOpus: ServerWindowLike | null
    readonly sevenDaySonnet: ServerWindowLike | null
    readonly observedAt: string | null
    readonly stale: boolean
  } | null,
  now: number = Date.now(),
): string | null {
  if (!server?.observedAt) return null
  const part = (label: string, w: ServerWindowLike | null, resets = false) =>
    w
      ? `${label} ${Math.round(w.percent)}%${resets && w.resetsAt ? ` (resets in ${span(Date.parse(w.resetsAt) - now)})` : ''}`
      : null
  return [
    part('5h', server.fiveHour, true),
    part('week', server.sevenDay),
    part('Opus week', server.sevenDayOpus),
    part('Sonnet week', server.sevenDaySonnet),
    `${server.stale ? 'stale, ' : ''}as of ${ago(server.observedAt, now)}`,
  ]
    .filter((p) => p !== null)
    .join(' · ')
}
