import { useEffect, useState } from 'react'
import type { AccountView, PoolStatus } from '../../../shared/schemas/pool'
import type { UsageSummary } from '../../../shared/schemas/usage'
import type { OutputOf } from '../../../shared/ipc/contract'
import { call, useChannel, useNow } from '../api'
import { Gauge } from '../components/Gauge'
import { ago, clock, duration, money } from '../format'

type Identity = OutputOf<'accounts:identity'>
type WindowView = NonNullable<AccountView['standing']['server']>['fiveHour']

function statusText(account: AccountView): { text: string; tone: string } {
  const s = account.standing
  if (s.status === 'disabled') return { text: 'disabled', tone: 'muted' }
  if (s.status === 'logged_out')
    return { text: s.login === 'expired' ? 'login expired' : 'not logged in', tone: 'warn' }
  if (s.status === 'limited') return { text: `limited until ${clock(s.freesAt)}`, tone: 'bad' }
  if (s.status === 'near_limit') return { text: 'near limit', tone: 'warn' }
  return { text: 'available', tone: 'good' }
}

/** How far through its window a limit is, from when it resets (5 hours or a week long). */
const elapsed = (w: WindowView, lengthMs: number, now: number) =>
  w?.resetsAt ? Math.min(1, Math.max(0, 1 - (Date.parse(w.resetsAt) - now) / lengthMs)) : undefined

const resetsText = (iso: string | null, now: number) =>
  iso ? `resets in ${duration(Date.parse(iso) - now)} (${clock(iso)})` : 'no active window'

/**
 * One limit's gauge: Claude's own percentage while fresh ("Claude · as of 3 min ago"), with this
 * machine's estimate as secondary detail; the estimate alone, said as one, otherwise.
 */
function LimitGauge(props: {
  label: string
  ratio: number
  server: WindowView
  fresh: boolean
  estimate: string
  lengthMs: number
  localProgress?: number
  now: number
}) {
  const { server, now } = props
  const claude = server && props.fresh
  const detail = claude
    ? `Claude · as of ${ago(server.observedAt, now)} · ${resetsText(server.resetsAt, now)}`
    : `Estimate: ${props.estimate}${server ? ` · Claude said ${Math.round(server.reportedPercent)}% ${ago(server.observedAt, now)}` : ''}`
  return (
    <Gauge
      label={props.label}
      ratio={props.ratio}
      progress={claude ? elapsed(server, props.lengthMs, now) : props.localProgress}
      detail={detail}
      secondary={claude ? `This machine's estimate: ${props.estimate}` : undefined}
    />
  )
}

const FIVE_HOURS = 5 * 3_600_000
const WEEK = 7 * 24 * 3_600_000

function AccountCard(props: { account: AccountView; focused: boolean; now: number }) {
  const { account, now } = props
  const s = account.standing
  const server = s.server
  const fresh = !!server && !server.stale
  const [identity, setIdentity] = useState<Identity>()
  const [statusLineError, setStatusLineError] = useState<string>()
  const usage = useChannel('usage:get', { account: account.id }, ['event:usageChanged'])
  // Re-read on every pool change: a login in a terminal shows up here without a reload.
  const identityNow = useChannel('accounts:identity', { account: account.id }, ['event:poolChanged'])
  useEffect(() => {
    if (identityNow.data) setIdentity(identityNow.data)
  }, [identityNow.data])
  const current: UsageSummary['current'] | undefined = usage.data?.summary.current
  const status = statusText(account)
  const burn = current?.burnRateUsdPerHour ?? 0
  // The engine's forecast, the one the tray, the command line and the forecast rule use too.
  const runsOutText = s.blockRunsOutAt ? `runs out at ${clock(s.blockRunsOutAt)}` : 'lasts until reset'
  const blockEstimate = `${money(s.blockCostUsd)} of ${money(s.blockBudgetUsd)}${s.blockEndsAt && !fresh ? ` · ${resetsText(s.blockEndsAt, now)}` : ''}`
  // The switch moves at once; the main process's answer confirms it, or puts it back with the reason.
  const toggleStatusLine = async (on: boolean) => {
    if (!identity) return
    setIdentity({ ...identity, statusLine: on })
    const result = await call('accounts:statusLine', { account: account.id, on })
    setStatusLineError(result.ok ? undefined : result.error.message)
    setIdentity({ ...identity, statusLine: result.ok ? result.value.on : !on })
  }
  return (
    <article
      className={`card ${props.focused ? 'focused' : ''}`}
      aria-labelledby={`acct-${account.id}`}
      data-testid={`account-${account.name}`}
    >
      <header className="card-head">
        <h3 id={`acct-${account.id}`}>{account.name}</h3>
        <span className={`badge ${status.tone}`} data-testid="status">
          {status.text}
        </span>
      </header>
      <p className="identity">
        {identity?.email
          ? `${identity.email}${identity.plan ? ` · ${identity.plan}` : ''}`
          : s.login === 'logged_in'
            ? 'logged in'
            : 'no login found'}{' '}
        · {account.plan}
      </p>
      {(s.status === 'limited' || s.status === 'logged_out') && (
        <p className="reason">
          {s.reason}
          {s.status === 'logged_out' && (
            <>
              {' '}
              — log in with <code>auth-pool login {account.name}</code>
            </>
          )}
        </p>
      )}
      <LimitGauge
        label="5-hour window"
        ratio={s.blockRatio}
        server={server?.fiveHour ?? null}
        fresh={fresh}
        estimate={blockEstimate}
        lengthMs={FIVE_HOURS}
        localProgress={current?.progress}
        now={now}
      />
      <LimitGauge
        label="Week"
        ratio={s.weekRatio}
        server={server?.sevenDay ?? null}
        fresh={fresh}
        estimate={`${money(s.weekCostUsd)} of ${money(s.weeklyBudgetUsd)}`}
        lengthMs={WEEK}
        now={now}
      />
      {server?.sevenDayOpus && (
        <Gauge
          label="Opus, week"
          ratio={server.sevenDayOpus.percent / 100}
          detail={resetsText(server.sevenDayOpus.resetsAt, now)}
        />
      )}
      {server?.sevenDaySonnet && (
        <Gauge
          label="Sonnet, week"
          ratio={server.sevenDaySonnet.percent / 100}
          detail={resetsText(server.sevenDaySonnet.resetsAt, now)}
        />
      )}
      {server?.problem && <p className="note">Claude’s figures: {server.problem}</p>}
      <dl className="facts">
        <div>
          <dt>Burn rate</dt>
          <dd className="num">{money(burn)}/h</dd>
        </div>
        <div>
          <dt>Projection</dt>
          <dd>{burn > 0 ? runsOutText : '—'}</dd>
        </div>
        <div>
          <dt title="0–100: headroom in the 5-hour window (60%) and the week (40%), less 10 for each limit hit this week; 0 when it cannot take a session">
            Health
          </dt>
          <dd className="num">{s.health}</dd>
        </div>
        <div>
          <dt>Active sessions</dt>
          <dd className="num">{account.activeSessions}</dd>
        </div>
        {s.calibration.fiveHourUsd !== null && (
          <div>
            <dt>On this account</dt>
            <dd title="this machine's transcript cost per full 5-hour window, learned from Claude's percentages">
              ≈ {money(s.calibration.fiveHourUsd)} per 5-hour window
            </dd>
          </div>
        )}
      </dl>
      {identity && (
        <label className="switch">
          <input
            type="checkbox"
            checked={identity.statusLine}
            onChange={(e) => void toggleStatusLine(e.target.checked)}
          />{' '}
          Live figures from Claude Code’s status line
        </label>
      )}
      {statusLineError && <p role="alert">{statusLineError}</p>}
    </article>
  )
}

export function Overview(props: {
  status: PoolStatus | undefined
  focusAccountId: string | null
  onChanged: () => void
}) {
  const now = useNow()
  const { status } = props
  const [error, setError] = useState<string>()
  // The choice shows at once and stays until the pool status confirms it (or the call fails).
  const [pending, setPending] = useState<{ id: string | null } | null>(null)
  useEffect(() => {
    if (pending && status?.preferredAccountId === pending.id) setPending(null)
  }, [pending, status?.preferredAccountId])
  if (!status) return <p>Loading…</p>
  const picked = pending ? pending.id : status.preferredAccountId
  const pick = async (account: string | null) => {
    setPending({ id: account })
    const result = await call('pool:setPreferred', { account })
    if (!result.ok) {
      setPending(null)
      setError(result.error.message)
      return
    }
    setError(undefined)
    props.onChanged()
  }
  const auto = status.autoPick
  return (
    <section aria-labelledby="overview-title">
      <h2 id="overview-title">Pool</h2>
      <p className="summary" data-testid="summary">
        <strong>
          {status.availableCount} of {status.accounts.length}
        </strong>{' '}
        accounts available
        {status.nextResetAt &&
          ` · next reset ${clock(status.nextResetAt)} (in ${duration(Date.parse(status.nextResetAt) - now)})`}
        {auto
          ? ` · Auto would pick ${auto.name} (${auto.reason === 'healthiest' ? 'most headroom' : auto.reason})`
          : ' · no account available now'}
      </p>
      <p className="hint" data-testid="legend">
        Percentages are Claude’s own while fresh, else this machine’s estimate. The mark on a bar is how far through its
        window you are. Health (0–100) weighs headroom in the 5-hour window (60%) and the week (40%); Auto starts new
        sessions on the healthiest account.
      </p>
      {status.recoveries.length > 0 && (
        <p role="alert" className="notice">
          The state file was unreadable on {clock(status.recoveries.at(-1)!.at)}; it was moved to{' '}
          {status.recoveries.at(-1)!.movedAsideTo} and{' '}
          {status.recoveries.at(-1)!.restoredFrom === 'backup'
            ? 'the last good backup was restored'
            : 'a new state was started'}
          .
        </p>
      )}
      {status.accounts.length > 0 && (
        <fieldset className="picker">
          <legend>New sessions go to</legend>
          <label>
            <input type="radio" name="pick" checked={picked === null} onChange={() => void pick(null)} /> Auto (best
            available)
          </label>
          {status.accounts.map((a) => (
            <label key={a.id}>
              <input
                type="radio"
                name="pick"
                checked={picked === a.id}
                disabled={!a.enabled}
                onChange={() => void pick(a.id)}
              />{' '}
              {a.name}
            </label>
          ))}
        </fieldset>
      )}
      {error && <p role="alert">{error}</p>}
      {status.accounts.length === 0 ? (
        <p>No accounts yet. Add one under Accounts.</p>
      ) : (
        <div className="cards">
          {status.accounts.map((a) => (
            <AccountCard key={a.id} account={a} focused={a.id === props.focusAccountId} now={now} />
          ))}
        </div>
      )}
    </section>
  )
}
