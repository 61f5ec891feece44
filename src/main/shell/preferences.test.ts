import { describe, expect, it } from 'vitest'
import { createAppPreferences, type PreferenceFile } from './preferences'

/** What electron-store keeps: a plain object read and written whole, as the file would be. */
function file(initial: Record<string, unknown>): PreferenceFile {
  const store = { ...initial }
  return { store, set: (key, value) => void (store[key] = value) }
}

describe('the tray app’s preferences', () => {
  it('reads a fresh file as the defaults', () => {
    expect(createAppPreferences(file({})).get()).toEqual({
      windowBounds: null,
      launchAtLogin: null,
      trayHintShown: false,
    })
  })

  it('falls back field by field on a hand-edited value that does not parse, keeping the rest', () => {
    const prefs = createAppPreferences(file({ windowBounds: { x: 'left' }, launchAtLogin: true, trayHintShown: 'yes' }))
    expect(prefs.get()).toEqual({ windowBounds: null, launchAtLogin: true, trayHintShown: false })
  })

  it('stores valid values and refuses invalid ones', () => {
    const f = file({})
    const prefs = createAppPreferences(f)
    prefs.set('windowBounds', { x: 10, y: 20, width: 900, height: 700 })
    expect(prefs.get().windowBounds).toEqual({ x: 10, y: 20, width: 900, height: 700 })
    // A value outside its schema falls back rather than being stored as given.
    prefs.set('windowBounds', { x: 1, y: 1, width: 1, height: 1 })
    expect(f.store.windowBounds).toBeNull()
  })
})
