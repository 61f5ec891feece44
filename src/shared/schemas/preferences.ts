import { z } from 'zod'

/** Where the dashboard window was, so it opens there again. */
export const WindowBoundsSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(200).max(20_000),
  height: z.number().int().min(200).max(20_000),
})
export type WindowBounds = z.infer<typeof WindowBoundsSchema>

/**
 * The tray app's own preferences, which only the app reads and writes (electron-store keeps them in
 * `preferences.json` beside the state file). A value that does not parse falls back to its default,
 * field by field: a hand-edited file never stops the app.
 */
export const PreferencesSchema = z.object({
  windowBounds: WindowBoundsSchema.nullable().catch(null),
  /** Start the tray app at login; null until the first start has asked. */
  launchAtLogin: z.boolean().nullable().catch(null),
  /** Whether the note about GNOME's missing tray has been shown (once). */
  trayHintShown: z.boolean().catch(false),
})
export type Preferences = z.infer<typeof PreferencesSchema>
