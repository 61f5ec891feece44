import { useEffect, useState } from 'react'
import type { AccountView } from '../../../shared/schemas/pool'
import type { UsageSummary } from '../../../shared/schemas/usage'
import { api, call } from '../api'
import { BarChart, type StackedBar } from '../components/BarChart'
import { TableHead } from '../components/TableHead'
import { clock, day, money, tokens, totalTokens } from '../format'

/** Every account's usage summary, reloaded when any account's usage changes. */
function usePoolUsage(accounts: readonly AccountView[]): Map<string, UsageSummary> | undefined {
  const [summaries, setSummaries] = useState<Map<string, UsageSummary>>()
  const ids = accounts.map((a) => a.id).join(',')
  useEffect(() => {
    let latest = 0
    const load = async () => {
      const ticket = ++latest
      const results = await Promise.all(
        ids
          .split(',')
          .filter(Boolean)
          .map((id) => call('usage:get', { account: id })),
      )
      if (ticket !== latest) return
      setSummaries(new Map(results.flatMap((r, i) => (r.ok ? [[ids.split(',')[i]!, r.value.summary] as const] : []))))
    }
    void load()
    return api().on('event:usageChanged', () => void load())
  }, [ids])
  return summaries
}

interface Row {
  readonly key: string
  readonly label: string
  /** Under its bar: "Dec 5 9 AM", "Dec 5". */
  readonly short: string
  /** Cost per account, in the order of the pool's accounts. */
  readonly costs: number[]
  readonly tokens: number
}

type Item = Omit<Row, 'costs'> & { readonly costUsd: number }

/** The last `keep` rows of every account's items, one row per key with each account's cost beside the others'. */
function stack(
  accounts: readonly AccountView[],
  usage: Map<string, UsageSummary>,
  itemsOf: (summary: UsageSummary) => Item[],
  keep: number,
): Row[] {
  const rows = new Map<string, Row>()
  accounts.forEach((a, i) => {
    const summary = usage.get(a.id)
    for (const { costUsd, tokens: itemTokens, ...item } of summary ? itemsOf(summary) : []) {
      const row = rows.get(item.key) ?? { ...item, costs: accounts.map(() => 0), tokens: 0 }
      row.costs[i]! += costUsd
      rows.set(item.key, { ...row, tokens: row.tokens + itemTokens })
    }
  })
  return [...rows.values()].sort((x, y) => (x.key < y.key ? -1 : 1)).slice(-keep)
}

/** Blocks of every account, by when they start (blocks of two accounts starting together share a bar). */
const blockRows = (accounts: readonly AccountView[], usage: Map<string, UsageSummary>) =>
  stack(
    accounts,
    usage,
    (s) =>
      s.blocks.map((b) => ({
        key: b.start,
        label: `${day(b.start)} ${clock(b.start)}–${clock(b.end)}${b.isActive ? ' (now)' : ''}`,
        short: `${day(b.start)} ${new Date(b.start).toLocaleTimeString([], { hour: 'numeric' })}`,
        costUsd: b.costUsd,
        tokens: totalTokens(b.tokens),
      })),
    30,
  )

const dayRows = (accounts: readonly AccountView[], usage: Map<string, UsageSummary>) =>
  stack(
    accounts,
    usage,
    (s) =>
      s.daily.map((d) => ({
        key: d.date,
        label: day(d.date),
        short: day(d.date),
        costUsd: d.costUsd,
        tokens: totalTokens(d.tokens),
      })),
    28,
  )

const sum = (xs: readonly number[]) => xs.reduce((n, x) => n + x, 0)

function bars(rows: readonly Row[], accounts: readonly AccountView[]): StackedBar[] {
  return rows.map((r) => ({
    label: r.short,
    parts: r.costs.map((value, series) => ({ series, value })),
    hint: `${r.label}: ${money(sum(r.costs))} (${accounts.map((a, i) => `${a.name} ${money(r.costs[i]!)}`).join(', ')})`,
  }))
}

function RowsTable(props: { caption: string; first: string; rows: readonly Row[]; accounts: readonly AccountView[] }) {
  return (
    <table>
      <caption>{props.caption}</caption>
      <TableHead
        columns={[
          props.first,
          ...props.accounts.map((a) => ({ label: a.name, numeric: true })),
          { label: 'Tokens', numeric: true },
          { label: 'Total', numeric: true },
        ]}
      />
      <tbody>
        {props.rows.map((r) => (
          <tr key={r.key}>
            <td>{r.label}</td>
            {r.costs.map((c, i) => (
              <td className="num" key={props.accounts[i]!.id}>
                {money(c)}
              </td>
            ))}
            <td className="num">{tokens(r.tokens)}</td>
            <td className="num">{money(sum(r.costs))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The whole pool's usage: every account stacked, per 5-hour block and per day. */
export function History(props: { accounts: AccountView[] }) {
  const [asTable, setAsTable] = useState(false)
  const usage = usePoolUsage(props.accounts)
  if (props.accounts.length === 0) return <p>No accounts yet.</p>
  if (!usage) return <p>Loading…</p>
  const blocks = blockRows(props.accounts, usage)
  const days = dayRows(props.accounts, usage)
  const names = props.accounts.map((a) => a.name)
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Usage history</h2>
      <div className="toolbar">
        <label>
          <input type="checkbox" checked={asTable} onChange={(e) => setAsTable(e.target.checked)} /> Show as table
        </label>
        <span className="hint">This machine’s transcripts, priced as Claude Code prices them.</span>
      </div>
      {asTable ? (
        <>
          <RowsTable caption="Cost per 5-hour block" first="Block" rows={blocks} accounts={props.accounts} />
          <RowsTable caption="Cost per day" first="Day" rows={days} accounts={props.accounts} />
        </>
      ) : (
        <div className="charts">
          <BarChart
            title="Cost per 5-hour block (last 30)"
            format={money}
            series={names}
            bars={bars(blocks, props.accounts)}
          />
          <BarChart title="Cost per day (last 28)" format={money} series={names} bars={bars(days, props.accounts)} />
        </div>
      )}
    </section>
  )
}
