import { PreferencesSchema, type Preferences } from '../../shared/schemas/preferences'

/** The part of electron-store the preferences use (electron-store cannot load outside Electron). */
export interface PreferenceFile {
  readonly store: Record<string, unknown>
  set(key: string, value: unknown): void
}

export interface AppPreferences {
  get(): Preferences
  set<K extends keyof Preferences>(key: K, value: Preferences[K]): void
}

/** The app's preferences in an electron-store file, read through their schema. */
export function createAppPreferences(file: PreferenceFile): AppPreferences {
  return {
    get: () => PreferencesSchema.parse(file.store),
    set: (key, value) => file.set(key, PreferencesSchema.shape[key].parse(value)),
  }
}
