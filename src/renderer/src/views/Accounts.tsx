import { useState, type FormEvent } from 'react'
import type { ErrorValue } from '../../../shared/result'
import type { AccountView } from '../../../shared/schemas/pool'
import { call, fieldErrors } from '../api'
import { Field } from '../components/Field'

const PLANS = ['pro', 'max5', 'max20', 'custom'] as const
const numberOrUndefined = (v: string) => (v.trim() === '' ? undefined : Number(v))

function AddAccount() {
  const [form, setForm] = useState({
    name: '',
    configDir: '',
    plan: 'pro' as (typeof PLANS)[number],
    block: '',
    week: '',
    create: false,
  })
  const [error, setError] = useState<ErrorValue>()
  const [done, setDone] = useState<string>()
  const errors = fieldErrors(error)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const result = await call('accounts:add', {
      name: form.name,
      configDir: form.configDir,
      plan: form.plan,
      blockBudgetUsd: numberOrUndefined(form.block),
      weeklyBudgetUsd: numberOrUndefined(form.week),
      create: form.create,
    })
    if (result.ok) {
      setError(undefined)
      setDone(`Added ${result.value.name}.`)
      setForm({ ...form, name: '', configDir: '', block: '', week: '' })
    } else {
      setDone(undefined)
      setError(result.error)
    }
  }
  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="add-title" className="panel" noValidate>
      <h3 id="add-title">Add an account</h3>
      <Field label="Name" error={errors.name}>
        {(id, d) => (
          <input
            id={id}
            aria-describedby={d}
            aria-invalid={!!errors.name}
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        )}
      </Field>
      <Field label="Config directory" error={errors.configDir} hint="e.g. ~/.claude or ~/.claude-work">
        {(id, d) => (
          <input
            id={id}
            aria-describedby={d}
            aria-invalid={!!errors.configDir}
            value={form.configDir}
            onChange={(e) => setForm({ ...form, configDir: e.target.value })}
          />
        )}
      </Field>
      <label className="check">
        <input type="checkbox" checked={form.create} onChange={(e) => setForm({ ...form, create: e.target.checked })} />{' '}
        Create the directory if it does not exist
      </label>
      <Field label="Plan" error={errors.plan}>
        {(id) => (
          <select
            id={id}
            value={form.plan}
            onChange={(e) => setForm({ ...form, plan: e.target.value as (typeof PLANS)[number] })}
          >
            {PLANS.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        )}
      </Field>
      <Field label="5-hour budget (USD, optional)" error={errors.blockBudgetUsd}>
        {(id, d) => (
          <input
            id={id}
            aria-describedby={d}
            inputMode="decimal"
            value={form.block}
            onChange={(e) => setForm({ ...form, block: e.target.value })}
          />
        )}
      </Field>
      <Field label="Weekly budget (USD, optional)" error={errors.weeklyBudgetUsd}>
        {(id, d) => (
          <input
            id={id}
            aria-describedby={d}
            inputMode="decimal"
            value={form.week}
            onChange={(e) => setForm({ ...form, week: e.target.value })}
          />
        )}
      </Field>
      {error && !error.issues?.length && <p role="alert">{error.message}</p>}
      {done && <p role="status">{done}</p>}
      <button type="submit">Add account</button>
    </form>
  )
}

function AccountRow(props: { account: AccountView }) {
  const a = props.account
  const [plan, setPlan] = useState(a.plan)
  const [block, setBlock] = useState(a.blockBudgetUsd?.toString() ?? '')
  const [week, setWeek] = useState(a.weeklyBudgetUsd?.toString() ?? '')
  const [error, setError] = useState<ErrorValue>()
  const [message, setMessage] = useState<string>()
  const [confirming, setConfirming] = useState(false)
  const errors = fieldErrors(error)
  const report = (result: { ok: true } | { ok: false; error: ErrorValue }, ok: string) => {
    setError(result.ok ? undefined : result.error)
    setMessage(result.ok ? ok : undefined)
  }
  const save = async () =>
    report(
      await call('accounts:update', {
        account: a.id,
        patch: {
          plan,
          blockBudgetUsd: block.trim() ? Number(block) : null,
          weeklyBudgetUsd: week.trim() ? Number(week) : null,
        },
      }),
      'Saved.',
    )
  const toggle = async () =>
    report(
      await call('accounts:update', { account: a.id, patch: { enabled: !a.enabled } }),
      a.enabled ? 'Disabled.' : 'Enabled.',
    )
  const remove = async () =>
    report(await call('accounts:remove', { account: a.id, force: true }), 'Removed; the directory stays on disk.')
  const login = async () => {
    const result = await call('accounts:login', { account: a.id })
    setMessage(result.ok ? result.value.message : result.error.message)
  }
  return (
    <li className="panel" aria-label={a.name}>
      <h3>
        {a.name} <small className="path">{a.configDir}</small>
      </h3>
      <div className="row">
        <Field label="Plan" error={errors['patch.plan']}>
          {(id) => (
            <select id={id} value={plan} onChange={(e) => setPlan(e.target.value as (typeof PLANS)[number])}>
              {PLANS.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="5-hour budget (USD)"
          error={errors['patch.blockBudgetUsd'] ?? errors.blockBudgetUsd}
          hint={`plan default: $${a.standing.blockBudgetUsd}`}
        >
          {(id, d) => <input id={id} aria-describedby={d} value={block} onChange={(e) => setBlock(e.target.value)} />}
        </Field>
        <Field
          label="Weekly budget (USD)"
          error={errors['patch.weeklyBudgetUsd'] ?? errors.weeklyBudgetUsd}
          hint={`plan default: $${a.standing.weeklyBudgetUsd}`}
        >
          {(id, d) => <input id={id} aria-describedby={d} value={week} onChange={(e) => setWeek(e.target.value)} />}
        </Field>
      </div>
      <div className="actions">
        <button onClick={() => void save()}>Save</button>
        <button onClick={() => void toggle()}>{a.enabled ? 'Disable' : 'Enable'}</button>
        <button onClick={() => void login()}>Log in…</button>
        {confirming ? (
          <button className="danger" onClick={() => void remove()}>
            Confirm remove
          </button>
        ) : (
          <button onClick={() => setConfirming(true)}>Remove</button>
        )}
      </div>
      {error && !Object.keys(errors).length && <p role="alert">{error.message}</p>}
      {message && <p role="status">{message}</p>}
    </li>
  )
}

export function Accounts(props: { accounts: AccountView[] }) {
  return (
    <section aria-labelledby="accounts-title">
      <h2 id="accounts-title">Accounts</h2>
      <AddAccount />
      <ul className="list">
        {props.accounts.map((a) => (
          <AccountRow key={`${a.id}-${a.plan}-${a.blockBudgetUsd}-${a.weeklyBudgetUsd}`} account={a} />
        ))}
      </ul>
    </section>
  )
}
