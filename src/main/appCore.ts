import { join } from 'node:path'
import type { EventName } from '../shared/ipc/channels'
import type { EventPayload } from '../shared/ipc/contract'
import { createPool, type Pool } from './engine/pool'
import { nodeFileSystem, nodeProcesses, systemClock } from './system/nodePorts'
import type { Notifier, Store } from './engine/ports'
import { createUsageService, type UsageService } from './usage/usageService'
import { createHandlers, type ChooseFile, type LauncherPort } from './ipc/handlers'
import { findExecutable } from './launcher/executable'
import { authPoolExecutable, builtUsageWorker, VERSION } from './paths'
import { createUsagePoller, tokenSourcesOf } from './usage/usagePoller'
import { createRouter, type Router, type Sender } from './ipc/router'
import { randomId } from './system/random'
import type { Desktop } from './desktop/desktop'

export interface AppCore {
  readonly engine: Pool
  readonly usage: UsageService
  readonly router: Router
  /** Subscribes to the events the renderer receives. */
  onEvent(listener: <E extends EventName>(event: E, payload: EventPayload<E>) => void): () => void
  /** Creates the state file, starts watching usage and the scheduler. */
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * Everything the tray app runs, minus Electron: engine, usage watching, router and the events that
 * reach the renderer. The Electron composition root and the browser tests' loopback bridge both use
 * it, so the dashboard is tested against the very wiring the app ships.
 */
export function createAppCore(deps: {
  readonly home: string
  readonly store: Store & { flush(): Promise<void> }
  readonly notifier: Notifier
  readonly launcher: LauncherPort
  readonly chooseFile: ChooseFile
  readonly isTrustedSender: (sender: Sender) => boolean
  /** The environment (AUTH_POOL_API_BASE_URL, HOME, USER); the process's by default. */
  readonly env?: NodeJS.ProcessEnv
  /** Start at login and the command on the PATH (the shell knows how, on this system). */
  readonly desktop: Desktop
  /** The auth-pool command an account's status line runs; this checkout's bin/auth-pool by default. */
  readonly executable?: string
}): AppCore {
  const usage = createUsageService({
    indexDir: join(deps.home, 'usage-index'),
    workerScript: builtUsageWorker(import.meta.url),
    home: deps.home,
  })
  const poller = createUsagePoller({
    home: deps.home,
    env: deps.env ?? process.env,
    tokens: tokenSourcesOf(deps.env ?? process.env),
    userAgent: `auth-pool/${VERSION}`,
  })
  /** Asks Anthropic's usage endpoint for the accounts that are due; the server-usage watch tells the rest. */
  const pollServer = async () => poller.pollDue(await deps.store.read())
  let pollTimer: NodeJS.Timeout | undefined
  const engine = createPool({
    newId: randomId,
    store: deps.store,
    clock: systemClock,
    processes: nodeProcesses,
    fs: nodeFileSystem,
    usage,
    notifier: deps.notifier,
  })
  const router = createRouter({
    handlers: createHandlers({
      engine,
      usage,
      fs: nodeFileSystem,
      launcher: deps.launcher,
      chooseFile: deps.chooseFile,
      findProgram: (name) => findExecutable(name, process.env),
      home: deps.home,
      executable: deps.executable ?? authPoolExecutable(import.meta.url),
      desktop: deps.desktop,
    }),
    isTrustedSender: deps.isTrustedSender,
  })
  const listeners = new Set<<E extends EventName>(event: E, payload: EventPayload<E>) => void>()
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    for (const listener of listeners) listener(event, payload)
  }
  const syncUsage = async () => {
    usage.setPricing((await engine.settings()).pricing)
    // A first start reads every account's transcripts on worker threads (every core, the main thread
    // stays free for the tray and windows), before anything asks for usage.
    await usage.prime((await deps.store.read()).accounts, { onThisThread: false })
    usage.watch(await engine.listAccounts())
  }
  engine.onDidChangeAccounts(() => void syncUsage().then(() => emit('event:poolChanged', {})))
  engine.onDidChangeSessions(() => emit('event:poolChanged', {}))
  engine.onDidChangeNotifications(() => emit('event:notificationsChanged', {}))
  usage.onDidChangeLogin(() => emit('event:poolChanged', {}))
  usage.onDidChangeUsage((accountId) => {
    emit('event:usageChanged', { accountId })
    void engine.evaluateRules().catch(() => undefined) // delivery failures are kept as undelivered records
  })
  return {
    engine,
    usage,
    router,
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async start() {
      await deps.store.transact(() => undefined) // the state file exists from the first start, for the CLI too
      await syncUsage()
      await engine.startScheduler()
      // Each account is asked at most once per its interval (the poller checks); a minute's tick finds who is due.
      const tick = () => void pollServer().catch(() => undefined) // a problem is kept in the account's file
      tick()
      pollTimer = setInterval(tick, 60_000)
      pollTimer.unref()
      void engine.deliverPending()
      // What changed while the app was not running (a limit hit from the command line) is said now, not at
      // the scheduler's first tick a minute later; what was said before is remembered and not said again.
      void engine.evaluateRules().catch(() => undefined)
    },
    async stop() {
      clearInterval(pollTimer)
      engine.scheduler.stop()
      usage.close()
      await engine.idle()
      await deps.store.flush()
    },
  }
}
