import { percent as pct } from '../../shared/format'
import type { AccountView, PoolStatus } from '../../shared/schemas/pool'

// Pure: pool state in, menu template out. Tested in Node; ./tray.ts hands the template to Electron.

export type TrayCommand =
  | { readonly kind: 'pick'; readonly accountId: string | null }
  | { readonly kind: 'launch' }
  | { readonly kind: 'launchInFolder' }
  | { readonly kind: 'openDashboard'; readonly view?: 'overview' | 'accounts' | 'rules'; readonly accountId?: string }
  | { readonly kind: 'togglePause' }
  | { readonly kind: 'toggleStartAtLogin' }
  | { readonly kind: 'installCommand' }
  | { readonly kind: 'quit' }

export type TrayItem =
  | { readonly type: 'separator' }
  | {
      readonly type: 'normal' | 'radio' | 'checkbox'
      readonly label: string
      readonly enabled: boolean
      readonly checked?: boolean
      readonly toolTip?: string
      readonly command?: TrayCommand
    }

export type TrayIconState = 'ok' | 'near' | 'exhausted' | 'empty'

export interface TrayState {
  readonly status: PoolStatus
  readonly paused: boolean
  /** Whether the app starts at login, and whether its `auth-pool` command is on the PATH. */
  readonly desktop?: { readonly startAtLogin: boolean; readonly commandInstalled: boolean }
  /** Formats a time for the menu (the shell passes the user's locale). */
  readonly time: (iso: string) => string
}

/**
 * An account's line: its 5-hour and weekly share as Claude reports them (`5h 42%`), or this machine's
 * estimate said as one (`5h ≈10% … (estimate)`) when Claude's figures are missing or stale.
 */
export function accountLabel(account: AccountView, time: (iso: string) => string): string {
  const s = account.standing
  if (s.status === 'disabled') return `${account.name} — disabled`
  if (s.status === 'logged_out') return `${account.name} — ${s.reason}`
  if (s.status === 'limited')
    return `${account.name} — limited until ${s.freesAt ? time(s.freesAt) : 'unknown'} (${s.reason})`
  // The budget running out before the block resets is the time that matters.
  const when = s.blockRunsOutAt
    ? ` · runs out ${time(s.blockRunsOutAt)}`
    : s.blockEndsAt
      ? ` · resets ${time(s.blockEndsAt)}`
      : ''
  const near = s.status === 'near_limit' ? ' ⚠' : ''
  const estimate = s.basis === 'estimate'
  const share = (ratio: number) => `${estimate ? '≈' : ''}${pct(ratio)}`
  return `${account.name} — 5h ${share(s.blockRatio)} · week ${share(s.weekRatio)}${when}${estimate ? ' (estimate)' : ''}${near}`
}

export function headerLabel(status: PoolStatus, time: (iso: string) => string): string {
  if (status.accounts.length === 0) return 'No accounts yet'
  const reset = status.nextResetAt ? ` · next reset ${time(status.nextResetAt)}` : ''
  return `${status.availableCount} of ${status.accounts.length} accounts available${reset}`
}

export function trayIconState(status: PoolStatus): TrayIconState {
  if (status.accounts.length === 0) return 'empty'
  if (status.availableCount === 0) return 'exhausted'
  return status.accounts.some((a) => a.standing.status === 'near_limit' || a.standing.status === 'limited')
    ? 'near'
    : 'ok'
}

export function trayTooltip(status: PoolStatus, time: (iso: string) => string): string {
  const auto = status.autoPick ? ` — next session: ${status.autoPick.name}` : ''
  const undelivered = status.undeliveredCount ? ` — ${status.undeliveredCount} notification(s) not shown` : ''
  return `Auth Pool: ${headerLabel(status, time)}${auto}${undelivered}`
}

export function buildTrayMenu(state: TrayState): TrayItem[] {
  const { status, time } = state
  const items: TrayItem[] = [
    { type: 'normal', label: headerLabel(status, time), enabled: false },
    { type: 'separator' },
  ]
  if (status.accounts.length === 0) {
    items.push({
      type: 'normal',
      label: 'Add an account…',
      enabled: true,
      command: { kind: 'openDashboard', view: 'accounts' },
    })
  } else {
    const auto = status.autoPick ? ` (now ${status.autoPick.name})` : ' (none available)'
    items.push({
      type: 'radio',
      label: `Auto (best available)${auto}`,
      enabled: true,
      checked: status.preferredAccountId === null,
      command: { kind: 'pick', accountId: null },
    })
    for (const account of status.accounts)
      items.push({
        type: 'radio',
        label: accountLabel(account, time),
        enabled: account.standing.status !== 'disabled',
        checked: status.preferredAccountId === account.id,
        toolTip: account.standing.reason,
        command: { kind: 'pick', accountId: account.id },
      })
  }
  items.push(
    { type: 'separator' },
    { type: 'normal', label: 'Launch Claude Code', enabled: status.availableCount > 0, command: { kind: 'launch' } },
    {
      type: 'normal',
      label: 'Launch in folder…',
      enabled: status.availableCount > 0,
      command: { kind: 'launchInFolder' },
    },
    { type: 'normal', label: 'Open dashboard', enabled: true, command: { kind: 'openDashboard' } },
  )
  if (status.undeliveredCount > 0)
    items.push({
      type: 'normal',
      label: `${status.undeliveredCount} notification${status.undeliveredCount === 1 ? '' : 's'} not shown…`,
      enabled: true,
      command: { kind: 'openDashboard', view: 'rules' },
    })
  if (status.scheduler.breakerOpenUntil)
    items.push({
      type: 'normal',
      label: `Rebalancing failing: ${status.scheduler.lastError ?? 'unknown error'}`,
      enabled: false,
    })
  items.push({
    type: 'checkbox',
    label: 'Pause rebalancing',
    enabled: true,
    checked: state.paused,
    command: { kind: 'togglePause' },
  })
  if (state.desktop) {
    items.push({
      type: 'checkbox',
      label: 'Start at login',
      enabled: true,
      checked: state.desktop.startAtLogin,
      command: { kind: 'toggleStartAtLogin' },
    })
    if (!state.desktop.commandInstalled)
      items.push({
        type: 'normal',
        label: 'Install the auth-pool command…',
        enabled: true,
        command: { kind: 'installCommand' },
      })
  }
  items.push(
    { type: 'separator' },
    { type: 'normal', label: 'Quit Auth Pool', enabled: true, command: { kind: 'quit' } },
  )
  return items
}
