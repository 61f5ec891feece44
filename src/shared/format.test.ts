import { describe, expect, it } from 'vitest'
import { clockTime } from './format'

describe('clock times', () => {
  // Local times, so the expectations hold in any time zone.
  const now = new Date(2026, 10, 27, 9, 10).getTime() // Fri 27 Nov, 09:10
  const at = (day: number, hour: number, minute = 0) => new Date(2026, 10, day, hour, minute).toISOString()
  const hm = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  const weekday = (iso: string) => new Date(iso).toLocaleDateString([], { weekday: 'short' })

  it('show the day when it is not today, so a weekly reset days away does not read as today', () => {
    expect(clockTime(at(27, 14), '—', now)).toBe(hm(at(27, 14)))
    expect(clockTime(at(27, 23, 59), '—', now)).toBe(hm(at(27, 23, 59)))
    expect(clockTime(at(28, 0, 5), '—', now)).toBe(`${hm(at(28, 0, 5))} tomorrow`)
    expect(clockTime(at(26, 23), '—', now)).toBe(`${hm(at(26, 23))} yesterday`)
    expect(clockTime(at(30, 14), '—', now)).toBe(`${hm(at(30, 14))} on ${weekday(at(30, 14))}`)
    const later = new Date(2026, 11, 4, 14).toISOString() // a week on: the date, not a weekday
    expect(clockTime(later, '—', now)).toBe(
      `${hm(later)} on ${new Date(later).toLocaleDateString([], { month: 'short', day: 'numeric' })}`,
    )
    expect(clockTime(null, 'unknown', now)).toBe('unknown')
  })
})
