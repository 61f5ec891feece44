import { useState } from 'react'
import type { ErrorValue } from '../../../shared/result'
import type { Rule } from '../../../shared/schemas/rules'
import { call, fieldErrors, useChannel } from '../api'
import { Field, TextField } from '../components/Field'
import { TableHead } from '../components/TableHead'
import { dateTime } from '../format'

const KIND_LABEL: Record<Rule['kind'], string> = {
  usage_threshold: 'Usage threshold',
  limit_reached: 'Limit reached',
  limit_reset: 'Limit reset',
  pool_forecast: 'Pool runs out soon',
  login_expiring: 'Login expiring',
  rebalance_failing: 'Rebalancing failing',
}

/** What a rule does, in words: "Usage threshold: 75% of the 5-hour window". */
function ruleTitle(rule: Rule): string {
  const what =
    rule.kind === 'usage_threshold'
      ? `: ${rule.percent}% of the ${rule.window === '5h' ? '5-hour window' : 'week'}`
      : rule.kind === 'pool_forecast'
        ? `: within ${rule.withinMinutes} min`
        : rule.kind === 'login_expiring'
          ? `: within ${rule.withinDays} days`
          : ''
  return `${KIND_LABEL[rule.kind]}${what}`
}

/** Number fields are sent as typed (empty stays empty), so the schema's own error comes back. */
const asNumber = (v: string): number | undefined => (v.trim() === '' ? undefined : Number(v))

function RuleEditor(props: { rule: Rule }) {
  const [draft, setDraft] = useState<Record<string, string | boolean>>(() => ({
    enabled: props.rule.enabled,
    window: props.rule.kind === 'usage_threshold' ? props.rule.window : '5h',
    percent: props.rule.kind === 'usage_threshold' ? String(props.rule.percent) : '',
    withinMinutes: props.rule.kind === 'pool_forecast' ? String(props.rule.withinMinutes) : '',
    withinDays: props.rule.kind === 'login_expiring' ? String(props.rule.withinDays) : '',
  }))
  const [error, setError] = useState<ErrorValue>()
  const [saved, setSaved] = useState(false)
  const errors = fieldErrors(error)
  const save = async () => {
    const base = {
      id: props.rule.id,
      kind: props.rule.kind,
      enabled: draft.enabled === true,
      accounts: props.rule.accounts,
    }
    const extra =
      props.rule.kind === 'usage_threshold'
        ? { window: draft.window, percent: asNumber(String(draft.percent)) }
        : props.rule.kind === 'pool_forecast'
          ? { withinMinutes: asNumber(String(draft.withinMinutes)) }
          : props.rule.kind === 'login_expiring'
            ? { withinDays: asNumber(String(draft.withinDays)) }
            : {}
    const result = await call('rules:save', { ...base, ...extra } as Rule)
    setError(result.ok ? undefined : result.error)
    setSaved(result.ok)
  }
  const set = (key: string, value: string | boolean) => {
    setSaved(false)
    setDraft({ ...draft, [key]: value })
  }
  return (
    <li className="panel rule" aria-label={ruleTitle(props.rule)} data-testid={`rule-${props.rule.id}`}>
      <h3>{ruleTitle(props.rule)}</h3>
      <div className="row">
        <label className="check">
          <input type="checkbox" checked={draft.enabled === true} onChange={(e) => set('enabled', e.target.checked)} />{' '}
          Enabled
        </label>
        {props.rule.kind === 'usage_threshold' && (
          <>
            <Field label="Window" error={errors.window}>
              {(id) => (
                <select id={id} value={String(draft.window)} onChange={(e) => set('window', e.target.value)}>
                  <option value="5h">5 hours</option>
                  <option value="week">week</option>
                </select>
              )}
            </Field>
            <TextField
              label="Percent"
              error={errors.percent}
              inputMode="numeric"
              value={String(draft.percent)}
              onChange={(text) => set('percent', text)}
            />
          </>
        )}
        {props.rule.kind === 'pool_forecast' && (
          <TextField
            label="Within minutes"
            error={errors.withinMinutes}
            value={String(draft.withinMinutes)}
            onChange={(text) => set('withinMinutes', text)}
          />
        )}
        {props.rule.kind === 'login_expiring' && (
          <TextField
            label="Within days"
            error={errors.withinDays}
            value={String(draft.withinDays)}
            onChange={(text) => set('withinDays', text)}
          />
        )}
        <button onClick={() => void save()}>Save rule</button>
        {saved && <span role="status">Saved.</span>}
      </div>
      {error && !Object.keys(errors).length && <p role="alert">{error.message}</p>}
    </li>
  )
}

export function Rules() {
  const rules = useChannel('rules:list', undefined, [])
  const notifications = useChannel('notifications:list', undefined, ['event:notificationsChanged'])
  const add = async (rule: Rule) => {
    const result = await call('rules:save', rule)
    if (result.ok) await rules.reload()
  }
  const list = notifications.data ?? []
  return (
    <section aria-labelledby="rules-title">
      <h2 id="rules-title">Notification rules</h2>
      <ul className="list">
        {(rules.data ?? []).map((rule) => (
          <RuleEditor key={rule.id} rule={rule} />
        ))}
      </ul>
      <div className="actions">
        <button
          onClick={() =>
            void add({
              id: `threshold-${Date.now().toString(36)}`,
              kind: 'usage_threshold',
              window: '5h',
              percent: 50,
              enabled: true,
              accounts: 'all',
            })
          }
        >
          Add a threshold
        </button>
        <button
          onClick={() =>
            void add({ id: 'pool-forecast', kind: 'pool_forecast', withinMinutes: 30, enabled: true, accounts: 'all' })
          }
        >
          Add a pool forecast
        </button>
        <button
          onClick={() =>
            void add({ id: 'login-expiring', kind: 'login_expiring', withinDays: 3, enabled: true, accounts: 'all' })
          }
        >
          Add a login warning
        </button>
      </div>
      <h2 id="history-title">Notifications</h2>
      {list.length === 0 ? (
        <p>Nothing raised yet.</p>
      ) : (
        <table aria-labelledby="history-title">
          <TableHead columns={['When', 'Notification', 'Delivery']} />
          <tbody>
            {list.map((n) => (
              <tr key={n.id}>
                <td>{dateTime(n.at)}</td>
                <td>
                  <strong>{n.title}</strong>
                  <br />
                  {n.body}
                </td>
                <td className={n.delivery === 'undelivered' ? 'bad' : ''}>
                  {n.delivery === 'undelivered' ? `not shown (${n.lastError})` : n.delivery}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
