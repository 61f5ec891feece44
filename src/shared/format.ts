// Formatting shared by the tray, notifications, the CLI and the dashboard, so they read the same.

/** A time as HH:MM in the user's locale and time zone. */
export const clockTime = (iso: string | null | undefined, missing = '—'): string =>
  iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : missing

export const money = (usd: number): string => `$${usd.toFixed(2)}`

export const percent = (ratio: number): string => `${Math.round(ratio * 100)}%`
