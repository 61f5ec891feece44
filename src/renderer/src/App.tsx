import { useEffect, useRef, useState, type KeyboardEvent } from 'react'
import type { EventPayload } from '../../shared/ipc/contract'
import { api, useChannel } from './api'
import { Accounts } from './views/Accounts'
import { History } from './views/History'
import { Overview } from './views/Overview'
import { Rules } from './views/Rules'
import { Sessions } from './views/Sessions'
import { Settings } from './views/Settings'

type View = EventPayload<'event:navigate'>['view']
const VIEWS: { id: View; label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'sessions', label: 'Sessions' },
  { id: 'history', label: 'History' },
  { id: 'accounts', label: 'Accounts' },
  { id: 'rules', label: 'Rules & notifications' },
  { id: 'settings', label: 'Settings' },
]

export function App() {
  const [view, setView] = useState<View>('overview')
  const [focusAccountId, setFocusAccountId] = useState<string | null>(null)
  const status = useChannel('pool:status', undefined, [
    'event:poolChanged',
    'event:usageChanged',
    'event:notificationsChanged',
  ])
  const tabs = useRef<(HTMLButtonElement | null)[]>([])
  useEffect(
    () =>
      api().on('event:navigate', (target) => {
        setView(target.view)
        setFocusAccountId(target.accountId)
      }),
    [],
  )
  // Arrow keys move between tabs, as in any tab list.
  const onKeyDown = (event: KeyboardEvent) => {
    const index = VIEWS.findIndex((v) => v.id === view)
    const next = event.key === 'ArrowRight' ? index + 1 : event.key === 'ArrowLeft' ? index - 1 : null
    if (next === null) return
    const target = VIEWS[(next + VIEWS.length) % VIEWS.length]!
    setView(target.id)
    tabs.current[VIEWS.indexOf(target)]?.focus()
  }
  const accounts = status.data?.accounts ?? []
  const undelivered = status.data?.undeliveredCount ?? 0
  return (
    <div className="app">
      <header className="top">
        <h1>Auth Pool</h1>
        <nav role="tablist" aria-label="Views" onKeyDown={onKeyDown}>
          {VIEWS.map((v, i) => (
            <button
              key={v.id}
              ref={(el) => void (tabs.current[i] = el)}
              role="tab"
              id={`tab-${v.id}`}
              aria-selected={view === v.id}
              aria-controls="panel"
              tabIndex={view === v.id ? 0 : -1}
              onClick={() => setView(v.id)}
            >
              {v.label}
              {v.id === 'rules' && undelivered > 0 && (
                <span className="count" aria-label={`${undelivered} not shown`}>
                  {undelivered}
                </span>
              )}
            </button>
          ))}
        </nav>
      </header>
      {status.error && (
        <p role="alert" className="notice">
          {status.error.message}
        </p>
      )}
      <main id="panel" role="tabpanel" aria-labelledby={`tab-${view}`}>
        {view === 'overview' && (
          <Overview status={status.data} focusAccountId={focusAccountId} onChanged={() => void status.reload()} />
        )}
        {view === 'sessions' && <Sessions accounts={accounts} />}
        {view === 'history' && <History accounts={accounts} />}
        {view === 'accounts' && <Accounts accounts={accounts} />}
        {view === 'rules' && <Rules />}
        {view === 'settings' && <Settings accounts={accounts} />}
      </main>
    </div>
  )
}
