import { existsSync, mkdirSync, watch, type FSWatcher } from 'node:fs'
import { availableParallelism } from 'node:os'
import { basename, join } from 'node:path'
import type { PricingOverrides } from '../../shared/schemas/pricing'
import { Emitter } from '../../shared/emitter'
import type { AccountUsage, UsageSource } from '../engine/ports'
import { buildIndex, claimNext, type BuildRequest } from './buildIndex'
import { AccountLedger, type FileState } from './ledger'
import { createPriceBook, type PriceBook } from './pricing'
import { accountUsageOf, summarizeAt, totalsBetween, weekUnderBudgetAt } from './summary'
import { watchTree, type TreeChange, type TreeWatcher } from './treeWatcher'
import { learnCalibration, serverFiguresOf } from './serverFigures'
import { readServerUsage, serverUsagePath, writeServerUsage } from './serverUsageFile'
import type { Diagnostics, UsageSummary } from '../../shared/schemas/usage'

export interface UsageAccount {
  readonly id: string
  readonly configDir: string
}

/**
 * An account's summary as of `at`, kept while its entries and prices stay and for SUMMARY_TTL_MS, with the
 * time its week falls under a budget (for the budget asked last).
 */
interface SummaryEntry {
  readonly version: number
  readonly at: number
  readonly prices: PriceBook
  readonly summary: UsageSummary
  underBudget?: { readonly budgetUsd: number; readonly at: number | null }
}

export interface UsageServiceOptions {
  /** Where the per-account indexes live (a cache). */
  readonly indexDir: string
  readonly now?: () => number
  /**
   * How often a watched account's whole tree is walked anyway, in case the watcher missed something
   * (default a minute; where watching is unavailable, every second).
   */
  readonly pollMs?: number
  /**
   * The built usage worker (out/main/usageWorker.js), given by the composition root that knows where
   * it lies. Without it, `prime` does nothing and every account is read on this thread.
   */
  readonly workerScript?: URL
  /**
   * Auth Pool's home, where Claude's own figures for each account are kept (`server-usage/`, written by
   * `auth-pool statusline` and the usage endpoint's poller). Without it, accounts have no server figures.
   */
  readonly home?: string
}

export type { Diagnostics } from '../../shared/schemas/usage'

/** Summaries are recomputed when entries change, or when time moves on by this much. */
const SUMMARY_TTL_MS = 10_000
/** A changed index is written this long after the change (cache upkeep, off the path that shows usage). */
const SAVE_DELAY_MS = 2_000

export function createUsageService(options: UsageServiceOptions) {
  const now = options.now ?? Date.now
  const ledgers = new Map<string, AccountLedger>()
  const summaries = new Map<string, SummaryEntry>()
  /** Why the last look at a live account failed, while it does and the account stays live (by config directory). */
  const lookErrors = new Map<string, string>()
  const didChangeUsage = new Emitter<string>()
  const didChangeLogin = new Emitter<string>()
  let prices = createPriceBook()
  let pricing: PricingOverrides = {}
  /** Accounts kept live: their tree watch, their login watch, the poll that catches what events miss. */
  type Live = {
    readonly tree: TreeWatcher
    login?: FSWatcher
    /** The next poll (each schedules the one after, sooner or later as the watch works or not). */
    poll: NodeJS.Timeout | undefined
    readonly lookAgain: () => void
    /** Drops a look still waiting for its 15 ms (an unwatched account is not read again). */
    readonly cancel: () => void
  }
  const watched = new Map<string, Live>()

  /** An account's ledger, loaded and brought up to date on its first use. */
  function ledgerOf(account: UsageAccount): AccountLedger {
    let ledger = ledgers.get(account.configDir)
    if (!ledger) ledgers.set(account.configDir, (ledger = buildIndex(account.configDir, options.indexDir, prices)))
    return ledger
  }

  /**
   * Takes an account whose index a worker of `prime` wrote a moment ago as it is (no second walk of its
   * files: the next refresh reads whatever came since). False if that index cannot be loaded.
   */
  function adoptBuilt(account: UsageAccount): boolean {
    const ledger = new AccountLedger(account.configDir, AccountLedger.indexPathFor(options.indexDir, account.configDir))
    if (!ledger.load()) return false
    ledger.summaryBase(prices)
    ledger.trySave() // only writes when the base had to be recomputed (other prices than the worker's)
    ledgers.set(account.configDir, ledger)
    return true
  }

  const pendingSaves = new Map<string, NodeJS.Timeout>()

  /**
   * Writes a ledger's index a moment from now, once for any number of changes meanwhile: a live session
   * appends lines every few seconds, and rewriting the whole index for each delayed the figures it
   * brought. A failed write leaves the ledger dirty for the next one (the index is only a cache).
   */
  function saveSoon(configDir: string): void {
    if (pendingSaves.has(configDir)) return
    const timer = setTimeout(() => savePending(configDir), SAVE_DELAY_MS)
    timer.unref()
    pendingSaves.set(configDir, timer)
  }

  function savePending(configDir: string): void {
    clearTimeout(pendingSaves.get(configDir))
    pendingSaves.delete(configDir)
    ledgers.get(configDir)?.trySave()
  }

  function summaryEntryOf(account: UsageAccount): SummaryEntry {
    const ledger = ledgerOf(account)
    const t = now()
    const cached = summaries.get(account.configDir)
    if (cached && cached.version === ledger.table.version && cached.prices === prices && t - cached.at < SUMMARY_TTL_MS)
      return cached
    const summary = summarizeAt(ledger.summaryBase(prices), ledger.table, ledger.limits, prices, t)
    saveSoon(account.configDir) // only writes when the base had to be recomputed (new prices)
    const entry: SummaryEntry = { version: ledger.table.version, at: t, prices, summary }
    summaries.set(account.configDir, entry)
    return entry
  }

  function summaryOf(account: UsageAccount): UsageSummary {
    return summaryEntryOf(account).summary
  }

  /** Reads new transcript bytes of one account; fires onDidChangeUsage when its entries changed. */
  function refresh(account: UsageAccount, files?: readonly string[]): boolean {
    const fresh = !ledgers.has(account.configDir)
    const ledger = ledgerOf(account) // a first use reads everything new already
    let changed = true
    if (!fresh) {
      // The files a watcher named, or a walk of the whole tree.
      changed = (files ? ledger.ingestFiles(files) : ledger.ingest()).changed
      if (changed) ledger.summaryBase(prices)
      saveSoon(account.configDir)
    }
    if (fresh || !files) follow(account.configDir, ledger)
    if (changed) didChangeUsage.fire(account.id)
    return changed
  }

  /**
   * A look at a live account from a timer (an event's or the poll's). An error there (its projects/
   * became unreadable, say) must not escape into the event loop and end the app: the figures stay as
   * they were, the account's diagnostics say why, and the next look tries again.
   */
  function lookFromTimer(account: UsageAccount, files?: readonly string[]): void {
    try {
      refresh(account, files)
      if (lookErrors.delete(account.configDir)) didChangeUsage.fire(account.id)
    } catch (error) {
      if (!(error instanceof Error)) throw error
      const before = lookErrors.get(account.configDir)
      lookErrors.set(account.configDir, error.message) // shown in the account's diagnostics
      if (before !== error.message) didChangeUsage.fire(account.id)
    }
  }

  /**
   * A live account's watch follows the folders the walk just found; a folder watched only now may have
   * been written to before, so one more look follows.
   */
  function follow(configDir: string, ledger: AccountLedger): void {
    const live = watched.get(configDir)
    if (live?.tree.follow(ledger.folders())) live.lookAgain()
  }

  function unwatch(configDir: string): void {
    const w = watched.get(configDir)
    if (!w) return
    w.tree.close()
    w.cancel()
    w.login?.close()
    clearTimeout(w.poll)
    watched.delete(configDir)
    lookErrors.delete(configDir) // about the live view that just ended
  }

  /** The first thing that kept this account's figures from being whole, said with its path and the way out. */
  function readProblemOf(ledger: AccountLedger): string | null {
    const folder = ledger.problems[0]
    if (folder) return `cannot read ${folder.path} (${folder.error}); check that you may read it`
    const files = [...ledger.files.values()].filter((f) => f.error)
    if (files.length)
      return `cannot read ${files[0]!.path} (${files[0]!.error})${files.length > 1 ? ` and ${files.length - 1} more` : ''}; check that you may read them`
    return null
  }

  /** Claude's figures for the account, learning its dollars per percent from observations not seen yet. */
  function serverOf(account: UsageAccount, ledger: AccountLedger) {
    if (!options.home) return null
    let record = readServerUsage(options.home, account.configDir)
    const calibration = learnCalibration(record, ledger.table, prices)
    if (calibration)
      try {
        record = writeServerUsage(options.home, account.configDir, { calibration })
      } catch {
        record = { ...record, calibration: { ...record.calibration, ...calibration } } // learned again next time
      }
    return serverFiguresOf(record, ledger.table, prices, now())
  }

  let serverWatch: FSWatcher | undefined
  /** Which account each server-usage file belongs to (by file name), for the accounts watched. */
  let serverFiles = new Map<string, string>()
  /**
   * Claude's figures arrive in files other processes write (`auth-pool statusline` on every render, a
   * command's poll): a change there is a change of the account's usage.
   */
  function watchServerUsage(accounts: readonly UsageAccount[]): void {
    if (!options.home) return
    serverFiles = new Map(accounts.map((a) => [basename(serverUsagePath(options.home!, a.configDir)), a.id]))
    if (serverWatch) return
    try {
      const dir = join(options.home, 'server-usage')
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      serverWatch = watch(dir, { persistent: false }, (_event, file) => {
        const id = file && serverFiles.get(file)
        if (id) didChangeUsage.fire(id)
      })
      serverWatch.on('error', () => serverWatch?.close())
    } catch (error) {
      if (!(error instanceof Error)) throw error // no watching here: the figures are read when asked for
    }
  }

  const source: UsageSource = {
    usageOf: (account) => {
      const entry = summaryEntryOf(account)
      const ledger = ledgerOf(account)
      const server = serverOf(account, ledger)
      const budgetUsd = account.weeklyBudgetUsd?.(server)
      let underBudgetAt: number | null = null
      if (budgetUsd !== undefined && budgetUsd > 0) {
        // As of the summary's time, so it agrees with the week's cost the summary holds.
        if (entry.underBudget?.budgetUsd !== budgetUsd)
          entry.underBudget = {
            budgetUsd,
            at: weekUnderBudgetAt(ledger.table, prices, entry.at, entry.summary.week.costUsd, budgetUsd),
          }
        underBudgetAt = entry.underBudget.at
      }
      const usage = accountUsageOf(entry.summary, ledger.limits, now(), underBudgetAt)
      return { ...usage, readProblem: readProblemOf(ledger), server }
    },
  }

  return {
    ...source,
    onDidChangeUsage: didChangeUsage.event,
    /** An account's `.claude.json` or `.credentials.json` changed: someone logged in or out. */
    onDidChangeLogin: didChangeLogin.event,
    setPricing(overrides: PricingOverrides): void {
      pricing = overrides
      prices = createPriceBook(overrides)
    },
    refresh,
    summaryOf,
    /**
     * A first start reads every transcript once (a cold ingest). Accounts without an index are built by
     * worker threads and, with `onThisThread` (the CLI), by this thread too; every thread claims the next
     * account from one shared counter (Atomics), so no worker waits for this thread's event loop to hand
     * it work. The app passes `onThisThread: false`: its main thread keeps serving the tray and windows.
     * The workers' accounts are then loaded from the indexes they wrote; whatever a worker fails on is
     * read here later, as usual.
     */
    async prime(
      accounts: readonly UsageAccount[],
      { onThisThread = true }: { readonly onThisThread?: boolean } = {},
    ): Promise<{ readonly builtByWorkers: number }> {
      const cold = accounts.filter(
        (a) =>
          !ledgers.has(a.configDir) &&
          !existsSync(AccountLedger.indexPathFor(options.indexDir, a.configDir)) &&
          existsSync(join(a.configDir, 'projects')),
      )
      const script = options.workerScript
      const spare = onThisThread ? cold.length - 1 : cold.length
      if (!script || spare < 1) return { builtByWorkers: 0 }
      const next = new Int32Array(new SharedArrayBuffer(4))
      const request: BuildRequest = {
        configDirs: cold.map((a) => a.configDir),
        indexDir: options.indexDir,
        pricing,
        next,
      }
      const workers = Array.from(
        { length: Math.max(1, Math.min(availableParallelism() - (onThisThread ? 1 : 0), spare)) },
        // Loaded here, not as every command starts (a few ms), since few commands ever start a worker.
        () => new (process.getBuiltinModule('node:worker_threads').Worker)(script),
      )
      // A worker that fails to start, dies or exits answers nothing: what it claimed is read here later.
      const replies = workers.map(
        (worker) =>
          new Promise<readonly unknown[]>((resolve) => {
            worker.once('message', (reply: { built?: unknown } | undefined) =>
              resolve(Array.isArray(reply?.built) ? reply.built : []),
            )
            worker.once('error', () => resolve([]))
            worker.once('exit', () => resolve([]))
            worker.postMessage(request)
          }),
      )
      let builtByWorkers = 0
      try {
        if (onThisThread) for (let i = claimNext(next); i < cold.length; i = claimNext(next)) ledgerOf(cold[i]!)
        for (const i of (await Promise.all(replies)).flat())
          if (typeof i === 'number' && cold[i] && !ledgers.has(cold[i].configDir) && adoptBuilt(cold[i]))
            builtByWorkers++
        return { builtByWorkers }
      } finally {
        await Promise.all(workers.map((w) => w.terminate()))
      }
    },

    /** What one folder used on an account between two times (a launched session's tokens and cost). */
    totalsBetween(account: UsageAccount, cwd: string | null, from: number, to: number) {
      return totalsBetween(ledgerOf(account).table, prices, cwd, from, to)
    },
    diagnostics(account: UsageAccount): Diagnostics {
      const ledger = ledgerOf(account)
      const files = [...ledger.files.values()]
      const lookError = lookErrors.get(account.configDir)
      return {
        files: files.length,
        bytesIndexed: files.reduce((n, f: FileState) => n + f.offset, 0),
        skippedLines: [
          ...files
            .filter((f) => f.invalid || f.oversized || f.error)
            .map((f) => ({ path: f.path, invalid: f.invalid, oversized: f.oversized, error: f.error })),
          ...(lookError
            ? [{ path: join(account.configDir, 'projects'), invalid: 0, oversized: 0, error: lookError }]
            : []),
          ...ledger.problems.map((p) => ({
            path: p.path,
            invalid: 0,
            oversized: 0,
            error: `this folder cannot be read (${p.error}): the usage in it is missing from the figures; check that you may read it`,
          })),
          ...(ledger.saveError
            ? [
                {
                  path: ledger.indexPath,
                  invalid: 0,
                  oversized: 0,
                  error: `the usage index could not be saved (${ledger.saveError}); the figures are right, but the next start reads the transcripts again`,
                },
              ]
            : []),
        ],
      }
    },
    /**
     * Keeps the given accounts live: a change under `projects/` is ingested within a few tens of
     * milliseconds; a slow poll catches whatever the watcher misses (or everything, where there is none).
     */
    watch(accounts: readonly UsageAccount[]): void {
      watchServerUsage(accounts)
      const keep = new Set(accounts.map((a) => a.configDir))
      for (const dir of [...watched.keys()]) if (!keep.has(dir)) unwatch(dir)
      for (const account of accounts) {
        if (watched.has(account.configDir)) continue
        // A line appended to a transcript is read from that file alone; anything else (files or folders
        // that came or went, an event without a name) takes a walk of the tree. Events within 15 ms
        // are one look.
        let timer: NodeJS.Timeout | undefined
        let written: Set<string> | undefined = new Set() // undefined: the whole tree is due
        const schedule: TreeChange = (event, path) => {
          if (event === 'change' && path && written) {
            if (!path.endsWith('.jsonl')) return // not a transcript: nothing to read
            written.add(path)
          } else written = undefined
          clearTimeout(timer)
          timer = setTimeout(() => {
            const files = written
            written = new Set()
            lookFromTimer(account, files && [...files])
          }, 15)
        }
        const tree = watchTree(join(account.configDir, 'projects'), schedule)
        // The poll looks every pollMs while the watch works: a walk stats every transcript (tens of ms on
        // the main thread for a few thousand), and an app that runs all day should not do that every few
        // seconds for nothing. While there is nothing to watch (no projects/ yet, or watching failed: the
        // inotify limit, say) it is the only way changes arrive: every second, or less often where a walk
        // takes long (at most a twentieth of the thread's time).
        const safetyMs = options.pollMs ?? 60_000
        let walkMs = 0
        const schedulePoll = () => {
          entry.poll = setTimeout(
            () => {
              if (watched.get(account.configDir) !== entry) return // unwatched meanwhile
              const started = performance.now()
              lookFromTimer(account)
              walkMs = performance.now() - started
              schedulePoll()
            },
            tree.live() ? safetyMs : Math.min(Math.max(1_000, 20 * walkMs), safetyMs),
          )
          entry.poll.unref()
        }
        const entry: Live = {
          tree,
          poll: undefined,
          lookAgain: () => schedule('rename', undefined),
          cancel: () => clearTimeout(timer),
        }
        try {
          // A login writes these two files in the config directory itself, which the projects/ watch misses.
          entry.login = watch(account.configDir, { persistent: false }, (_event, file) => {
            if (file === '.claude.json' || file === '.credentials.json') didChangeLogin.fire(account.id)
          })
          entry.login.on('error', () => entry.login?.close())
        } catch (error) {
          if (!(error instanceof Error)) throw error // directory gone: the account shows as not logged in
        }
        watched.set(account.configDir, entry)
        try {
          refresh(account) // which also sets the tree watch up, on the folders it walks
        } finally {
          schedulePoll() // after it: the watch is live by then, and the first poll a minute away
        }
      }
    },
    /** Stops watching everything and writes the indexes that changed. */
    close(): void {
      serverWatch?.close()
      serverWatch = undefined
      for (const dir of [...watched.keys()]) unwatch(dir)
      for (const dir of [...pendingSaves.keys()]) savePending(dir) // index writes still waiting
    },
    forget(configDir: string): void {
      unwatch(configDir)
      clearTimeout(pendingSaves.get(configDir))
      pendingSaves.delete(configDir)
      ledgers.delete(configDir)
      summaries.delete(configDir)
    },
  }
}
export type UsageService = ReturnType<typeof createUsageService>
