import { useEffect, useState } from 'react'
import type { ErrorValue } from '../../../shared/result'
import type { Settings as SettingsValue } from '../../../shared/schemas/settings'
import type { Price } from '../../../shared/schemas/pricing'
import { call, fieldErrors, useChannel } from '../api'
import { TextField } from '../components/Field'
import { TableHead } from '../components/TableHead'
import type { AccountView } from '../../../shared/schemas/pool'
import { count } from '../format'

const PLANS = ['pro', 'max5', 'max20'] as const
/** The two expected costs of a plan, as the settings schema names them, with their labels. */
const PLAN_FIELDS = [
  ['blockUsd', '5-hour window'],
  ['weekUsd', 'week'],
] as const
const PRICE_FIELDS: readonly [keyof Price, string][] = [
  ['input', 'Input'],
  ['output', 'Output'],
  ['cacheWrite5m', 'Cache write (5 min)'],
  ['cacheWrite1h', 'Cache write (1 h)'],
  ['cacheRead', 'Cache read'],
]

function AccountDiagnostics(props: { account: AccountView }) {
  const usage = useChannel('usage:get', { account: props.account.id }, ['event:usageChanged'])
  const d = usage.data?.diagnostics
  if (!d) return null
  const skipped = d.skippedLines.reduce((n, f) => n + f.invalid + f.oversized, 0)
  const problems = d.skippedLines.filter((f) => f.error)
  return (
    <tr>
      <td>{props.account.name}</td>
      <td className="num">{d.files}</td>
      <td className="num">{(d.bytesIndexed / 1e6).toFixed(1)} MB</td>
      <td>
        {skipped === 0 && problems.length === 0
          ? 'every line read'
          : [
              skipped ? `${count(skipped, 'line')} Auth Pool could not read (not usage, or cut short)` : '',
              ...problems.map((p) => `${p.path}: ${p.error}`),
            ]
              .filter(Boolean)
              .join('; ')}
      </td>
    </tr>
  )
}

/** What the app has done and what it could not read, in words: for a curious user and for bug reports. */
function Diagnostics(props: { accounts: AccountView[] }) {
  const metrics = useChannel('pool:metrics', undefined, ['event:poolChanged', 'event:usageChanged'])
  const m = metrics.data
  return (
    <div className="panel">
      <h3>Diagnostics</h3>
      {m && (
        <p>
          Since the app started it has started {count(m.allocations, 'session')}. It looks for sessions whose Claude
          Code has exited every minute or so: {count(m.reconcile.runs, 'time')}
          {m.reconcile.failures ? ` (${count(m.reconcile.failures, 'failure')})` : ''}, ending{' '}
          {count(m.reconcile.reaped + m.reconcile.expired, 'session')} and moving{' '}
          {count(m.reconcile.reassigned, 'folder')} off accounts at their limit.
        </p>
      )}
      <table>
        <TableHead
          columns={[
            'Account',
            { label: 'Transcript files', numeric: true },
            { label: 'Read', numeric: true },
            'What could not be read',
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

/** The claude program and the terminal: chosen through the main process, never typed into this window. */
/** Start at login, and the `auth-pool` command on the PATH. */
function ThisComputer() {
  const status = useChannel('desktop:status', undefined, [])
  const [message, setMessage] = useState<{ text: string; error: boolean }>()
  // The switch moves at once; the answer confirms it (or puts it back).
  const [pending, setPending] = useState<boolean>()
  if (!status.data) return null
  const setStartAtLogin = async (on: boolean) => {
    setPending(on)
    const result = await call('desktop:setStartAtLogin', { on })
    setMessage(result.ok ? undefined : { text: result.error.message, error: true })
    await status.reload()
    setPending(undefined)
  }
  const install = async () => {
    const result = await call('desktop:installCommand', undefined)
    setMessage(
      result.ok
        ? { text: result.value.message, error: !result.value.path }
        : { text: result.error.message, error: true },
    )
    void status.reload()
  }
  return (
    <div className="panel">
      <h3>This computer</h3>
      <label className="check">
        <input
          type="checkbox"
          checked={pending ?? status.data.startAtLogin}
          onChange={(e) => void setStartAtLogin(e.target.checked)}
        />{' '}
        Start at login
      </label>
      <p>
        The <code>auth-pool</code> command:{' '}
        {status.data.commandPath ? <code>{status.data.commandPath}</code> : 'not installed'}{' '}
        <button onClick={() => void install()}>
          {status.data.commandPath ? 'Install again' : 'Install the auth-pool command'}
        </button>
      </p>
      {message && <p role={message.error ? 'alert' : 'status'}>{message.text}</p>}
    </div>
  )
}

function Programs() {
  const settings = useChannel('settings:get', undefined, ['event:poolChanged'])
  const terminals = useChannel('settings:terminals', undefined, ['event:poolChanged'])
  const [message, setMessage] = useState<{ text: string; error: boolean }>()
  const report = (result: { ok: boolean; error?: ErrorValue }, text: string) => {
    setMessage(result.ok ? { text, error: false } : { text: result.error!.message, error: true })
    void settings.reload()
    void terminals.reload()
  }
  const claudePath = settings.data?.claudePath
  const current = terminals.data?.current ?? 'auto'
  return (
    <div className="panel">
      <h3>Programs</h3>
      <p>
        Claude Code: <code>{claudePath ?? 'found on PATH (or AUTH_POOL_CLAUDE)'}</code>{' '}
        <button
          onClick={() => void call('settings:chooseClaude', {}).then((r) => report(r, r.ok ? r.value.message : ''))}
        >
          Choose…
        </button>{' '}
        {claudePath && (
          <button
            onClick={() =>
              void call('settings:chooseClaude', { reset: true }).then((r) => report(r, r.ok ? r.value.message : ''))
            }
          >
            Use PATH
          </button>
        )}
      </p>
      <label>
        Terminal for “Launch Claude Code”{' '}
        <select
          value={terminals.data?.terminals.some((t) => t.id === current) || current === 'auto' ? current : 'custom'}
          onChange={(e) =>
            void call('settings:setTerminal', { terminal: e.target.value }).then((r) => report(r, 'Saved.'))
          }
        >
          <option value="auto">Automatic</option>
          {terminals.data?.terminals.map((t) => (
            <option key={t.id} value={t.id} disabled={!t.available}>
              {t.name}
              {t.available ? '' : ' (not installed)'}
            </option>
          ))}
          {current !== 'auto' && !terminals.data?.terminals.some((t) => t.id === current) && (
            <option value="custom" disabled>
              {current}
            </option>
          )}
        </select>
      </label>
      {message && <p role={message.error ? 'alert' : 'status'}>{message.text}</p>}
    </div>
  )
}

/** Price overrides as rows: a model or family and its prices in US dollars per million tokens. */
function PricingTable(props: {
  rows: [string, Price][]
  errors: Record<string, string>
  onChange: (rows: [string, Price][]) => void
}) {
  const { rows, onChange } = props
  const blank: Price = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }
  const set = (i: number, row: [string, Price]) => onChange(rows.map((r, j) => (j === i ? row : r)))
  return (
    <>
      <h3>Price overrides</h3>
      <p className="hint">
        US dollars per million tokens, for a model (<code>claude-opus-5-5</code>) or a family (<code>opus</code>). Leave
        empty to use Auth Pool’s prices.
      </p>
      {rows.length > 0 && (
        <table className="pricing">
          <TableHead
            columns={['Model or family', ...PRICE_FIELDS.map(([, label]) => ({ label, numeric: true })), '']}
          />
          <tbody>
            {rows.map(([model, price], i) => (
              <tr key={i}>
                <td>
                  <input
                    aria-label={`Model or family, row ${i + 1}`}
                    value={model}
                    aria-invalid={!!props.errors[`pricing.${model}`]}
                    onChange={(e) => set(i, [e.target.value, price])}
                  />
                </td>
                {PRICE_FIELDS.map(([key, label]) => (
                  <td key={key} className="num">
                    <input
                      aria-label={`${label}, row ${i + 1}`}
                      inputMode="decimal"
                      value={String(price[key])}
                      aria-invalid={!!props.errors[`pricing.${model}.${key}`]}
                      onChange={(e) => set(i, [model, { ...price, [key]: Number(e.target.value) }])}
                    />
                  </td>
                ))}
                <td>
                  <button onClick={() => onChange(rows.filter((_, j) => j !== i))}>Remove</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button onClick={() => onChange([...rows, ['', blank]])}>Add a price</button>
      {Object.entries(props.errors)
        .filter(([k]) => k.startsWith('pricing'))
        .map(([k, message]) => (
          <p key={k} role="alert" className="error">
            {k.replace(/^pricing\.?/, '') || 'Prices'}: {message}
          </p>
        ))}
    </>
  )
}

type Editable = Omit<SettingsValue, 'claudePath' | 'terminalCommand' | 'pricing'>

export function Settings(props: { accounts: AccountView[] }) {
  const loaded = useChannel('settings:get', undefined, ['event:poolChanged'])
  const [draft, setDraft] = useState<Editable>()
  const [pricing, setPricing] = useState<[string, Price][]>([])
  const [error, setError] = useState<ErrorValue>()
  const [saved, setSaved] = useState(false)
  useEffect(() => {
    if (loaded.data && !draft) {
      const { claudePath: _c, terminalCommand: _t, pricing: prices, ...rest } = loaded.data
      setDraft(rest)
      setPricing(Object.entries(prices))
    }
  }, [loaded.data, draft])
  if (!draft) return <p>Loading…</p>
  const errors = fieldErrors(error)
  const save = async () => {
    const result = await call('settings:update', { ...draft, pricing: Object.fromEntries(pricing) })
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
        <h3>Claude’s figures</h3>
        <label className="check">
          <input
            type="checkbox"
            checked={draft.serverUsage.contactAnthropic}
            onChange={(e) =>
              setDraft({ ...draft, serverUsage: { ...draft.serverUsage, contactAnthropic: e.target.checked } })
            }
          />{' '}
          Ask Anthropic’s usage endpoint for each account’s percentages (with the account’s own login)
        </label>
        <div className="row">
          <TextField
            label="Ask at most every (minutes)"
            error={errors['serverUsage.pollMinutes']}
            value={String(draft.serverUsage.pollMinutes)}
            onChange={(text) => setDraft({ ...draft, serverUsage: { ...draft.serverUsage, pollMinutes: num(text) } })}
          />
          <TextField
            label="A figure decides for (minutes)"
            error={errors['serverUsage.freshMinutes']}
            value={String(draft.serverUsage.freshMinutes)}
            onChange={(text) => setDraft({ ...draft, serverUsage: { ...draft.serverUsage, freshMinutes: num(text) } })}
          />
        </div>
        <p className="hint">
          Off, Auth Pool uses what Claude Code’s status line reports (turn it on per account on its card) and its own
          estimates. Older figures are shown, but the estimate decides.
        </p>
        <h3>Expected cost per plan (USD, for estimates)</h3>
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
        <PricingTable rows={pricing} errors={errors} onChange={setPricing} />
        <p>
          <button onClick={() => void save()}>Save settings</button>
          {saved && <span role="status"> Saved.</span>}
        </p>
        {error && !Object.keys(errors).length && <p role="alert">{error.message}</p>}
      </div>
      <ThisComputer />
      <Programs />
      <Diagnostics accounts={props.accounts} />
    </section>
  )
}
