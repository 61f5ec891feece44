import type { Clock, Notifier, PoolNotification } from '../ports'

export interface DeliveryOutcome {
  readonly delivered: boolean
  readonly attempts: number
  readonly lastError: string | null
}

/** Waits between attempts: the first retry after 1 s, the second after 5 s, then gives up. */
export const DEFAULT_BACKOFF_MS: readonly number[] = [1_000, 5_000]

/**
 * Shows a notification through the notifier, retrying a failure with bounded back-off. A notification
 * that still fails is reported undelivered, never dropped silently (the seed lost failed webhooks).
 */
export async function deliverWithRetry(
  notification: PoolNotification,
  notifier: Notifier,
  clock: Clock,
  backoffMs: readonly number[] = DEFAULT_BACKOFF_MS,
): Promise<DeliveryOutcome> {
  let lastError: string | null = null
  for (let attempt = 0; attempt <= backoffMs.length; attempt++) {
    if (attempt > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, backoffMs[attempt - 1]!))
    try {
      await notifier.notify(notification)
      return { delivered: true, attempts: attempt + 1, lastError: null }
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error)
    }
  }
  return { delivered: false, attempts: backoffMs.length + 1, lastError }
}
