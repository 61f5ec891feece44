import type { AccountView, PoolStatus } from '../engine/pool'
import type { Session } from '../../shared/schemas/session'
import type { DeepReadonly } from '../../shared/readonly'

import { NO_ACCOUNTS_YET } from '../../shared/errors'
import { clockTime as time, money, percent as pct, serverSummary } from '../../shared/format'

export function accountLine(a: AccountView): string {
  const s = a.standing
  const state = s.available
    ? s.status === 'near_limit'
      ? 'near limit'
      : 'available'
    : s.status === 'disabled'
      ? 'disabled'
      : s.status === 'logged_out'
        ? `${s.reason}: auth-pool login ${a.name}`
        : `limited until ${time(s.freesAt)}`
  const runsOut = s.blockRunsOutAt ? ` (runs out ${time(s.blockRunsOutAt)})` : ''
  // Where the percentages come from: Claude's own while fresh, else this machine's estimate.
  const basis = s.basis === 'server' ? 'Claude' : 'estimate'
  const details = [
    ...(s.server ? [`Claude: ${serverSummary(s.server) ?? 'no figures yet'}`] : []),
    ...(s.server?.problem ? [`Claude's figures: ${s.server.problem}`] : []),
    ...(s.calibration.fiveHourUsd ? [`≈ ${money(s.calibration.fiveHourUsd)} per 5-hour window on this account`] : []),
    ...(s.readProblem ? [`⚠ ${s.readProblem}`] : []),
  ]
  return (
    `${a.name} (${a.plan}) — 5h ${pct(s.blockRatio)}${runsOut} · week ${pct(s.weekRatio)} (${basis}) · health ${s.health} · ${state} · ${a.configDir}` +
    details.map((d) => `\n      ${d}`).join('')
  )
}

/** A session: Claude Code's conversation id first (what `claude --resume` takes), then where and when. */
export function sessionLine(s: DeepReadonly<Session>, accountName: string): string {
  const when = `started ${time(s.startedAt)}${s.endedAt ? `, ended ${time(s.endedAt)}` : ''}`
  // A session `allocate` recorded for a script has no conversation: its own id is what `release` takes.
  const ids = s.conversationId ?? `—  (session ${s.id})`
  return `${ids}  ${accountName}  ${s.status}  ${when}  ${s.cwd ?? '—'}`
}

export function statusText(status: PoolStatus): string {
  if (status.accounts.length === 0) return NO_ACCOUNTS_YET // not "0 of 0 accounts available"
  const lines = [
    `${status.availableCount} of ${status.accounts.length} accounts available` +
      (status.nextResetAt ? ` · next reset ${time(status.nextResetAt)}` : '') +
      (status.autoPick
        ? status.autoPick.reason === 'preferred'
          ? ` · new sessions go to ${status.autoPick.name} (picked)`
          : ` · auto picks ${status.autoPick.name}`
        : ''),
    ...status.accounts.map((a) => `  ${a.id === status.preferredAccountId ? '●' : ' '} ${accountLine(a)}`),
  ]
  if (status.scheduler.breakerOpenUntil) lines.push(`rebalancing failing: ${status.scheduler.lastError}`)
  return lines.join('\n')
}
