import { useState } from 'react'
import type { AccountView } from '../../../shared/schemas/pool'
import { useChannel } from '../api'
import { BarChart } from '../components/BarChart'
import { TableHead } from '../components/TableHead'
import { clock, money, tokens, totalTokens } from '../format'

export function History(props: { accounts: AccountView[] }) {
  const [accountId, setAccountId] = useState(props.accounts[0]?.id ?? '')
  const [asTable, setAsTable] = useState(false)
  const chosen = props.accounts.find((a) => a.id === accountId) ?? props.accounts[0]
  if (!chosen) return <p>No accounts yet.</p>
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Usage history</h2>
      <div className="toolbar">
        <label>
          Account{' '}
          <select value={chosen.id} onChange={(e) => setAccountId(e.target.value)}>
            {props.accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={asTable} onChange={(e) => setAsTable(e.target.checked)} /> Show as table
        </label>
      </div>
      <AccountHistory account={chosen} asTable={asTable} />
    </section>
  )
}

function AccountHistory(props: { account: AccountView; asTable: boolean }) {
  const usage = useChannel('usage:get', { account: props.account.id }, ['event:usageChanged'])
  const summary = usage.data?.summary
  if (!summary) return <p>Loading…</p>
  const blocks = summary.blocks.slice(-30)
  const days = summary.daily.slice(-28)
  if (props.asTable)
    return (
      <>
        <table>
          <caption>Cost per 5-hour block</caption>
          <TableHead
            columns={[
              'Block',
              { label: 'Entries', numeric: true },
              { label: 'Tokens', numeric: true },
              { label: 'Cost', numeric: true },
            ]}
          />
          <tbody>
            {blocks.map((b) => (
              <tr key={b.start}>
                <td>
                  {new Date(b.start).toLocaleDateString()} {clock(b.start)}–{clock(b.end)}
                  {b.isActive ? ' (now)' : ''}
                </td>
                <td className="num">{b.entries}</td>
                <td className="num">{tokens(totalTokens(b.tokens))}</td>
                <td className="num">{money(b.costUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <table>
          <caption>Cost per day</caption>
          <TableHead columns={['Day', { label: 'Cost', numeric: true }]} />
          <tbody>
            {days.map((d) => (
              <tr key={d.date}>
                <td>{d.date}</td>
                <td className="num">{money(d.costUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    )
  return (
    <div className="charts">
      <BarChart
        title="Cost per 5-hour block (last 30)"
        format={money}
        bars={blocks.map((b) => ({
          label: new Date(b.start).toLocaleDateString([], { month: 'numeric', day: 'numeric' }),
          value: b.costUsd,
          hint: `${new Date(b.start).toLocaleString()}: ${money(b.costUsd)}`,
        }))}
      />
      <BarChart
        title="Cost per day (last 28)"
        format={money}
        bars={days.map((d) => ({ label: d.date.slice(5), value: d.costUsd, hint: `${d.date}: ${money(d.costUsd)}` }))}
      />
    </div>
  )
}
