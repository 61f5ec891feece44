import { useEffect, useState } from 'react'
import type { AccountView, PoolStatus } from '../../../shared/schemas/pool'
import type { UsageSummary } from '../../../shared/schemas/usage'
import { call, useChannel, useNow } from '../api'
import { Gauge } from '../components/Gauge'
import { clock, duration, money } from '../format'

type Identity = { email: string | null; organization: string | null; plan: string | null; loggedIn: boolean }

function statusText(account: AccountView, identity: Identity | undefined): { text: string; tone: string } {
  const s = account.standing
  if (s.status === 'disabled') return { text: 'disabled', tone: 'muted' }
  if (s.status === 'limited') return { text: `limited until ${clock(s.freesAt)}`, tone: 'bad' }
  if (identity && !identity.loggedIn) return { text: 'not logged in', tone: 'warn' }
  if (s.status === 'near_limit') return { text: 'near limit', tone: 'warn' }
  return { text: 'available', tone: 'good' }
}

function AccountCard(props: { account: AccountView; focused: boolean; now: number }) {
  const { account, now } = props
  const s = account.standing
  const [identity, setIdentity] = useState<Identity>()
  const usage = useChannel('usage:get', { account: account.id }, ['event:usageChanged'])
  // Re-read on every pool change: a login in a terminal shows up here without a reload.
  const identityNow = useChannel('accounts:identity', { account: account.id }, ['event:poolChanged'])
  useEffect(() => {
    if (identityNow.data) setIdentity(identityNow.data)
  }, [identityNow.data])
  const current: UsageSummary['current'] | undefined = usage.data?.summary.current
  const status = statusText(account, identity)
  const resetIn = s.blockEndsAt
    ? `resets in ${duration(Date.parse(s.blockEndsAt) - now)} (${clock(s.blockEndsAt)})`
    : 'no active block'
  const burn = current?.burnRateUsdPerHour ?? 0
  // The engine's forecast, the one the tray, the command line and the forecast rule use too.
  const runsOutText = s.blockRunsOutAt ? `runs out at ${clock(s.blockRunsOutAt)}` : 'lasts until reset'
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
          : identity?.loggedIn
            ? 'logged in'
            : 'no login found'}{' '}
        · {account.plan}
      </p>
      {s.status === 'limited' && <p className="reason">{s.reason}</p>}
      <Gauge
        label="5-hour window"
        ratio={s.blockRatio}
        progress={current?.progress}
        detail={`${money(s.blockCostUsd)} of ${money(s.blockBudgetUsd)} · ${resetIn}`}
      />
      <Gauge label="Week" ratio={s.weekRatio} detail={`${money(s.weekCostUsd)} of ${money(s.weeklyBudgetUsd)}`} />
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
          <dt>Health</dt>
          <dd className="num">{s.health}</dd>
        </div>
        <div>
          <dt>Active sessions</dt>
          <dd className="num">{account.activeSessions}</dd>
        </div>
      </dl>
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
