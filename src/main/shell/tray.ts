import {
  buildTrayMenu,
  trayIconState,
  trayTooltip,
  type TrayCommand,
  type TrayIconState,
  type TrayItem,
  type TrayState,
} from './trayMenu'

/** The slice of Electron's Tray we use; created through a factory so tests pass a fake. */
export interface TrayLike {
  setImage(icon: TrayIconState): void
  setToolTip(text: string): void
  setMenu(items: readonly TrayItem[], onCommand: (command: TrayCommand) => void): void
  destroy(): void
}

export interface TrayController {
  /** Schedules a rebuild; bursts of changes within `debounceMs` cost one rebuild. */
  update(): void
  /** Rebuilds now. */
  refresh(): Promise<void>
  /** The last template, for the _electron spec's test hook. */
  lastMenu(): readonly TrayItem[]
  dispose(): void
}

export function createTrayController(deps: {
  readonly createTray: () => TrayLike
  readonly state: () => Promise<TrayState>
  readonly onCommand: (command: TrayCommand) => void
  readonly debounceMs?: number
}): TrayController {
  const tray = deps.createTray()
  let timer: NodeJS.Timeout | undefined
  let menu: readonly TrayItem[] = []
  let disposed = false
  async function refresh(): Promise<void> {
    if (disposed) return
    const state = await deps.state()
    if (disposed) return
    menu = buildTrayMenu(state)
    tray.setImage(trayIconState(state.status))
    tray.setToolTip(trayTooltip(state.status, state.time))
    tray.setMenu(menu, deps.onCommand)
  }
  return {
    update() {
      clearTimeout(timer)
      timer = setTimeout(() => void refresh().catch(() => undefined), deps.debounceMs ?? 150)
    },
    refresh,
    lastMenu: () => menu,
    dispose() {
      disposed = true
      clearTimeout(timer)
      tray.destroy()
    },
  }
}
