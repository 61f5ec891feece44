import { useState } from 'react'
import type { AccountView } from '../../../shared/schemas/pool'
import { call, useChannel, useNow } from '../api'
import { TableHead } from '../components/TableHead'
import { count, dateTime, duration, money, tokens, totalTokens } from '../format'

const PAGE = 25

/** Claude Code's id of a conversation, with a button that copies it (for `claude --resume`). */
function ConversationId(props: { id: string | null }) {
  const [copied, setCopied] = useState(false)
  if (!props.id) return <span className="muted">—</span>
  const copy = async () => {
    await navigator.clipboard.writeText(props.id!)
    setCopied(true)
  }
  return (
    <span className="conversation">
      <code title={props.id}>{props.id.slice(0, 8)}…</code>{' '}
      <button className="small" onClick={() => void copy()} aria-label={`Copy conversation id ${props.id}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  )
}

export function Sessions(props: { accounts: AccountView[] }) {
  const [account, setAccount] = useState('')
  const [activeOnly, setActiveOnly] = useState(false)
  const [page, setPage] = useState(0)
  const sessions = useChannel('sessions:list', { ...(account && { account }), activeOnly }, [
    'event:poolChanged',
    'event:usageChanged',
  ])
  const now = useNow()
  const [error, setError] = useState<string>()
  const names = new Map(props.accounts.map((a) => [a.id, a.name]))
  const end = async (id: string) => {
    const result = await call('sessions:end', { sessionId: id })
    setError(result.ok ? undefined : result.error.message)
  }
  const list = sessions.data ?? []
  const pages = Math.max(1, Math.ceil(list.length / PAGE))
  const shown = list.slice(Math.min(page, pages - 1) * PAGE, Math.min(page, pages - 1) * PAGE + PAGE)
  const filter = (apply: () => void) => {
    apply()
    setPage(0)
  }
  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <div className="toolbar" role="group" aria-label="Filter sessions">
        <label>
          Account{' '}
          <select value={account} onChange={(e) => filter(() => setAccount(e.target.value))}>
            <option value="">All accounts</option>
            {props.accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={activeOnly} onChange={(e) => filter(() => setActiveOnly(e.target.checked))} />{' '}
          Running only
        </label>
        <span className="hint">{count(list.length, 'session')}</span>
      </div>
      {error && <p role="alert">{error}</p>}
      {list.length === 0 ? (
        <p>
          {account || activeOnly
            ? 'No sessions match.'
            : 'No sessions yet. Start one with “Launch Claude Code” in the tray or `auth-pool run`.'}
        </p>
      ) : (
        <>
          <table>
            <TableHead
              columns={[
                'Conversation',
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
              {shown.map((s) => (
                <tr key={s.id}>
                  <td>
                    <ConversationId id={s.conversationId ?? null} />
                  </td>
                  <td>{names.get(s.accountId) ?? s.accountId}</td>
                  <td className="path">{s.cwd ?? '—'}</td>
                  <td>{dateTime(s.startedAt)}</td>
                  <td>{duration((s.endedAt ? Date.parse(s.endedAt) : now) - Date.parse(s.startedAt))}</td>
                  <td className="num">{tokens(totalTokens(s.usage.tokens))}</td>
                  <td className="num">{money(s.usage.costUsd)}</td>
                  <td>
                    {s.status === 'active' ? 'running' : s.status === 'reaped' ? `ended (${s.endReason})` : 'ended'}
                  </td>
                  <td>{s.status === 'active' && <button onClick={() => void end(s.id)}>End</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {pages > 1 && (
            <nav className="pager" aria-label="Pages">
              <button disabled={page === 0} onClick={() => setPage(page - 1)}>
                Newer
              </button>
              <span>
                Page {Math.min(page, pages - 1) + 1} of {pages}
              </span>
              <button disabled={page >= pages - 1} onClick={() => setPage(page + 1)}>
                Older
              </button>
            </nav>
          )}
        </>
      )}
    </section>
  )
}
