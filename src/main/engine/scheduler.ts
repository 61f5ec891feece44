import type { Clock, TimerHandle } from './ports'

export interface SchedulerOptions {
  readonly clock: Clock
  readonly intervalMs: number
  /** The periodic job; a rejection counts as a failure. */
  readonly run: () => Promise<void>
  /** Consecutive failures that open the circuit breaker. */
  readonly failureThreshold?: number
  /** Longest back-off while the breaker is open. */
  readonly maxBackoffMs?: number
  /** Called once when the breaker opens (not on every failing tick) and once when it closes. */
  readonly onBreakerChange?: (state: BreakerState) => void
  /** Called after every run with its outcome. */
  readonly onRun?: (outcome: { ok: boolean; error?: unknown; state: BreakerState }) => void
}

export interface BreakerState {
  readonly open: boolean
  readonly consecutiveFailures: number
  /** When the next run happens while open. */
  readonly retryAt: Date | null
  readonly lastError: string | null
}

export interface Scheduler {
  /** Starts the timer; a second call while running changes nothing (the seed created a second timer). */
  start(): void
  /** Stops; safe to call any number of times. */
  stop(): void
  /** Changes the period and restarts cleanly if running. */
  setInterval(ms: number): void
  /** Runs now (coalesced with a run in progress). */
  runNow(): Promise<void>
  readonly running: boolean
  state(): BreakerState
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const threshold = options.failureThreshold ?? 3
  const maxBackoffMs = options.maxBackoffMs ?? 30 * 60_000
  let intervalMs = options.intervalMs
  let timer: TimerHandle | undefined
  let running = false
  let inFlight: Promise<void> | undefined
  let failures = 0
  let lastError: string | null = null
  let retryAt: Date | null = null

  const state = (): BreakerState => ({ open: failures >= threshold, consecutiveFailures: failures, retryAt, lastError })

  function delay(): number {
    if (failures < threshold) return intervalMs
    return Math.min(maxBackoffMs, intervalMs * 2 ** (failures - threshold + 1))
  }

  function arm(): void {
    timer?.cancel()
    const ms = delay()
    retryAt = failures >= threshold ? new Date(options.clock.now().getTime() + ms) : null
    timer = options.clock.setTimeout(() => {
      timer = undefined
      void runNow().finally(() => {
        if (running && !timer) arm()
      })
    }, ms)
  }

  function runNow(): Promise<void> {
    inFlight ??= (async () => {
      const wasOpen = failures >= threshold
      try {
        await options.run()
        failures = 0
        lastError = null
        retryAt = null
        options.onRun?.({ ok: true, state: state() })
        if (wasOpen) options.onBreakerChange?.(state())
      } catch (error) {
        failures++
        lastError = error instanceof Error ? error.message : String(error)
        options.onRun?.({ ok: false, error, state: state() })
        if (!wasOpen && failures >= threshold) options.onBreakerChange?.(state())
      } finally {
        inFlight = undefined
      }
    })()
    return inFlight
  }

  return {
    start() {
      if (running) return
      running = true
      arm()
    },
    stop() {
      running = false
      timer?.cancel()
      timer = undefined
    },
    setInterval(ms) {
      if (!(ms > 0) || !Number.isFinite(ms))
        throw new RangeError(`scheduler interval must be a positive number of ms, got ${ms}`)
      intervalMs = ms
      if (running) arm()
    },
    runNow,
    get running() {
      return running
    },
    state,
  }
}
