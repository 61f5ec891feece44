import { useState } from 'react'
import type { AccountView } from '../../../shared/schemas/pool'
import { call, useChannel, useNow } from '../api'
import { TableHead } from '../components/TableHead'
import { dateTime, duration, money, tokens, totalTokens } from '../format'

export function Sessions(props: { accounts: AccountView[] }) {
  const sessions = useChannel('sessions:list', {}, ['event:poolChanged', 'event:usageChanged'])
  const now = useNow()
  const [error, setError] = useState<string>()
  const names = new Map(props.accounts.map((a) => [a.id, a.name]))
  const end = async (id: string) => {
    const result = await call('sessions:end', { sessionId: id })
    setError(result.ok ? undefined : result.error.message)
  }
  const list = sessions.data ?? []
  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      {error && <p role="alert">{error}</p>}
      {list.length === 0 ? (
        <p>No sessions yet. Start one with “Launch Claude Code” in the tray or `auth-pool run`.</p>
      ) : (
        <table>
          <TableHead
            columns={[
              'Account',
              'Folder',
              'Started',
              'Duration',
              { label: 'Tokens', numeric: true },
              { label: 'Cost', numeric: true },
              'Status',
              { label: 'Actions', hidden: true },
            ]}
          />
          <tbody>
            {list.map((s) => {
              const total = totalTokens(s.usage.tokens)
              return (
                <tr key={s.id}>
                  <td>{names.get(s.accountId) ?? s.accountId}</td>
                  <td className="path">{s.cwd ?? '—'}</td>
                  <td>{dateTime(s.startedAt)}</td>
                  <td>{duration((s.endedAt ? Date.parse(s.endedAt) : now) - Date.parse(s.startedAt))}</td>
                  <td className="num">{tokens(total)}</td>
                  <td className="num">{money(s.usage.costUsd)}</td>
                  <td>{s.status === 'active' ? 'live' : s.status === 'reaped' ? `ended (${s.endReason})` : 'ended'}</td>
                  <td>{s.status === 'active' && <button onClick={() => void end(s.id)}>End</button>}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}
