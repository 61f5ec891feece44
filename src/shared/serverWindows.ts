// Kept apart from the schemas (no zod here): `auth-pool statusline` runs on every render and loads only this.

/** The limit windows Claude reports for a subscription. */
export const SERVER_WINDOWS = ['fiveHour', 'sevenDay', 'sevenDayOpus', 'sevenDaySonnet'] as const
export type ServerWindowName = (typeof SERVER_WINDOWS)[number]

export type ServerSource = 'statusline' | 'endpoint'

/** One limit window as Claude reported it: how much of it is used, and when it resets. */
export interface ServerWindow {
  /** 0–100 (more when over). */
  readonly percent: number
  /** Epoch ms, or null when Claude did not say. */
  readonly resetsAt: number | null
  /** Epoch ms when this was observed. */
  readonly observedAt: number
  readonly source: ServerSource
}

/** A learned ratio: dollars of this machine's transcript cost per percent of a window. */
export interface Calibration {
  readonly dollarsPerPercent: number
  readonly samples: number
  /** The observation it last learned from (epoch ms), so one is not counted twice. */
  readonly lastObservedAt: number
}

export type CalibratedWindow = 'fiveHour' | 'sevenDay'

/** An account's server figures as the usage service hands them to the engine. */
export interface ServerFigures {
  readonly windows: Partial<Record<ServerWindowName, ServerWindow>>
  readonly calibration: Partial<Record<CalibratedWindow, Calibration>>
  /** Why the usage endpoint gave nothing new the last time it was asked, or null. */
  readonly problem: string | null
  /** This machine's transcript cost since each window's observation: what happened since. */
  readonly costSinceUsd: Partial<Record<CalibratedWindow, number>>
}
