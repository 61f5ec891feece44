import { useEffect, useState } from 'react'
import type { ErrorValue } from '../../../shared/result'
import type { Settings as SettingsValue } from '../../../shared/schemas/settings'
import { call, fieldErrors, useChannel } from '../api'
import { Field, TextField } from '../components/Field'
import { TableHead } from '../components/TableHead'
import type { AccountView } from '../../../shared/schemas/pool'

const PLANS = ['pro', 'max5', 'max20'] as const
/** The two expected costs of a plan, as the settings schema names them, with their labels. */
const PLAN_FIELDS = [
  ['blockUsd', '5-hour block'],
  ['weekUsd', 'week'],
] as const

function AccountDiagnostics(props: { account: AccountView }) {
  const usage = useChannel('usage:get', { account: props.account.id }, ['event:usageChanged'])
  const d = usage.data?.diagnostics
  if (!d) return null
  const skipped = d.skippedLines.reduce((n, f) => n + f.invalid + f.oversized, 0)
  const unreadable = d.skippedLines.filter((f) => f.error).length
  return (
    <tr>
      <td>{props.account.name}</td>
      <td className="num">{d.files}</td>
      <td className="num">{(d.bytesIndexed / 1e6).toFixed(1)} MB</td>
      <td className="num">{skipped}</td>
      <td className="num">{unreadable}</td>
    </tr>
  )
}

/** What the app counted, and what it could not read: for bug reports and a curious user. */
function Diagnostics(props: { accounts: AccountView[] }) {
  const metrics = useChannel('pool:metrics', undefined, ['event:poolChanged', 'event:usageChanged'])
  const m = metrics.data
  return (
    <div className="panel">
      <h3>Diagnostics</h3>
      {m && (
        <p className="num" style={{ textAlign: 'left' }}>
          {m.allocations} allocations · reconcile {m.reconcile.runs} runs, {m.reconcile.failures} failed,{' '}
          {m.reconcile.reaped + m.reconcile.expired} sessions ended, {m.reconcile.reassigned} folders moved
        </p>
      )}
      <table>
        <TableHead
          columns={[
            'Account',
            { label: 'Transcripts', numeric: true },
            { label: 'Read', numeric: true },
            { label: 'Skipped lines', numeric: true },
            { label: 'Unreadable files', numeric: true },
          ]}
        />
        <tbody>
          {props.accounts.map((a) => (
            <AccountDiagnostics key={a.id} account={a} />
          ))}
        </tbody>
      </table>
    </div>
  )
}

export function Settings(props: { accounts: AccountView[] }) {
  const loaded = useChannel('settings:get', undefined, ['event:poolChanged'])
  const [draft, setDraft] = useState<SettingsValue>()
  const [pricing, setPricing] = useState('{}')
  const [error, setError] = useState<ErrorValue>()
  const [saved, setSaved] = useState(false)
  useEffect(() => {
    if (loaded.data && !draft) {
      setDraft(loaded.data)
      setPricing(JSON.stringify(loaded.data.pricing, null, 2))
    }
  }, [loaded.data, draft])
  if (!draft) return <p>Loading…</p>
  const errors = fieldErrors(error)
  const save = async () => {
    let parsedPricing: unknown
    try {
      parsedPricing = JSON.parse(pricing || '{}')
    } catch {
      setError({
        code: 'VALIDATION',
        message: 'pricing is not valid JSON',
        issues: [{ path: ['pricing'], message: 'not valid JSON' }],
      })
      return
    }
    const result = await call('settings:update', { ...draft, pricing: parsedPricing as SettingsValue['pricing'] })
    setError(result.ok ? undefined : result.error)
    setSaved(result.ok)
  }
  const num = (v: string) => (v.trim() === '' ? Number.NaN : Number(v))
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <div className="panel">
        <TextField
          label="Rebalance interval (seconds)"
          error={errors.rebalanceIntervalSec}
          value={String(draft.rebalanceIntervalSec)}
          onChange={(text) => setDraft({ ...draft, rebalanceIntervalSec: num(text) })}
        />
        <label className="check">
          <input
            type="checkbox"
            checked={draft.rebalancePaused}
            onChange={(e) => setDraft({ ...draft, rebalancePaused: e.target.checked })}
          />{' '}
          Pause rebalancing
        </label>
        <h3>Expected cost per plan (USD)</h3>
        {PLANS.map((plan) => (
          <div className="row" key={plan}>
            {PLAN_FIELDS.map(([key, what]) => (
              <TextField
                key={key}
                label={`${plan}: ${what}`}
                error={errors[`planBudgets.${plan}.${key}`]}
                value={String(draft.planBudgets[plan][key])}
                onChange={(text) =>
                  setDraft({
                    ...draft,
                    planBudgets: { ...draft.planBudgets, [plan]: { ...draft.planBudgets[plan], [key]: num(text) } },
                  })
                }
              />
            ))}
          </div>
        ))}
        <Field
          label="Pricing overrides (JSON, USD per million tokens by model or family)"
          error={errors.pricing ?? Object.entries(errors).find(([k]) => k.startsWith('pricing.'))?.[1]}
        >
          {(id, d) => (
            <textarea
              id={id}
              aria-describedby={d}
              rows={5}
              value={pricing}
              onChange={(e) => setPricing(e.target.value)}
              spellCheck={false}
            />
          )}
        </Field>
        <TextField
          label="Terminal command"
          error={errors.terminalCommand}
          hint="e.g. alacritty --working-directory {cwd} -e {command}; empty for the system default"
          value={draft.terminalCommand ?? ''}
          onChange={(text) => setDraft({ ...draft, terminalCommand: text.trim() ? text : null })}
        />
        <TextField
          label="Path to claude"
          error={errors.claudePath}
          hint="empty: AUTH_POOL_CLAUDE, then PATH"
          value={draft.claudePath ?? ''}
          onChange={(text) => setDraft({ ...draft, claudePath: text.trim() ? text : null })}
        />
        <button onClick={() => void save()}>Save settings</button>
        {saved && <span role="status"> Saved.</span>}
        {error && !Object.keys(errors).length && <p role="alert">{error.message}</p>}
      </div>
      <Diagnostics accounts={props.accounts} />
    </section>
  )
}
