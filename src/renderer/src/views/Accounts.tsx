import { useState, type FormEvent } from 'react'
import type { ErrorValue } from '../../../shared/result'
import type { AccountView } from '../../../shared/schemas/pool'
import { call, fieldErrors } from '../api'
import { Field, TextField } from '../components/Field'

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
      <TextField
        label="Name"
        error={errors.name}
        value={form.name}
        onChange={(text) => setForm({ ...form, name: text })}
      />
      <TextField
        label="Config directory"
        error={errors.configDir}
        hint="e.g. ~/.claude or ~/.claude-work"
        value={form.configDir}
        onChange={(text) => setForm({ ...form, configDir: text })}
      />
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
      <TextField
        label="5-hour budget (USD, optional)"
        error={errors.blockBudgetUsd}
        inputMode="decimal"
        value={form.block}
        onChange={(text) => setForm({ ...form, block: text })}
      />
      <TextField
        label="Weekly budget (USD, optional)"
        error={errors.weeklyBudgetUsd}
        inputMode="decimal"
        value={form.week}
        onChange={(text) => setForm({ ...form, week: text })}
      />
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
        <TextField
          label="5-hour budget (USD)"
          error={errors['patch.blockBudgetUsd'] ?? errors.blockBudgetUsd}
          hint={`plan default: $${a.standing.blockBudgetUsd}`}
          value={block}
          onChange={setBlock}
        />
        <TextField
          label="Weekly budget (USD)"
          error={errors['patch.weeklyBudgetUsd'] ?? errors.weeklyBudgetUsd}
          hint={`plan default: $${a.standing.weeklyBudgetUsd}`}
          value={week}
          onChange={setWeek}
        />
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
