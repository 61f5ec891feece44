import type { Clock, TimerHandle } from '../../src/main/engine/ports'

/** A clock the test moves by hand; timers fire when `advance` passes their due time. */
export class FakeClock implements Clock {
  private time: number
  private timers: { due: number; fn: () => void; id: number }[] = []
  private nextId = 1
  constructor(start = Date.parse('2026-11-27T10:00:00Z')) {
    this.time = start
  }
  now(): Date {
    return new Date(this.time)
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++
    this.timers.push({ due: this.time + ms, fn, id })
    return { cancel: () => void (this.timers = this.timers.filter((t) => t.id !== id)) }
  }
  get pendingTimers(): number {
    return this.timers.length
  }
  /** Moves time forward, firing due timers in order and letting their async work settle. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms
    for (;;) {
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due)[0]
      if (!next) break
      this.timers = this.timers.filter((t) => t !== next)
      this.time = next.due
      next.fn()
      await settle()
    }
    this.time = target
    await settle()
  }
  /** Advances in steps until `promise` settles (for work that schedules timers as it goes). */
  async advanceUntil<T>(promise: Promise<T>, stepMs = 250, maxSteps = 1000): Promise<T> {
    let settled = false
    void promise.then(
      () => (settled = true),
      () => (settled = true),
    )
    for (let i = 0; i < maxSteps && !settled; i++) await this.advance(stepMs)
    return promise
  }

  /** Jumps the wall clock (e.g. backwards) without firing anything. */
  set(time: Date): void {
    this.time = time.getTime()
  }
}

/** Lets pending promises, immediates and the store's batching run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
