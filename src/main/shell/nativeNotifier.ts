import type { Notifier, PoolNotification } from '../engine/ports'

/** The slice of Electron's Notification we use (a constructor), so tests can pass a failing fake. */
export interface NotificationLike {
  on(event: 'show' | 'click' | 'close', listener: () => void): void
  on(event: 'action', listener: (event: unknown, index: number) => void): void
  on(event: 'failed', listener: (event: unknown, error: string) => void): void
  show(): void
}
export type NotificationFactory = (options: {
  title: string
  body: string
  actions: { type: 'button'; text: string }[]
}) => NotificationLike

/**
 * Shows engine notifications natively. Unsupported or failing notifications reject, so the engine
 * retries and, failing that, keeps them as undelivered — never dropped.
 */
export function createNativeNotifier(deps: {
  readonly isSupported: () => boolean
  readonly create: NotificationFactory
  /** Name of an account, for the "Launch on …" action. */
  readonly accountName: (id: string) => string | undefined
  readonly onClick: (notification: PoolNotification) => void
  readonly onLaunch: (accountId: string) => void
  /** How long to wait for 'show' before assuming the system displayed it silently. */
  readonly showTimeoutMs?: number
}): Notifier {
  return {
    notify(notification) {
      if (!deps.isSupported()) return Promise.reject(new Error('native notifications are not supported on this system'))
      const suggested = notification.suggestedAccountId
      const suggestedName = suggested ? deps.accountName(suggested) : undefined
      const actions =
        suggested && suggestedName && notification.kind !== 'limit_reset'
          ? [{ type: 'button' as const, text: `Launch on ${suggestedName}` }]
          : []
      return new Promise<void>((resolve, reject) => {
        let note: NotificationLike
        try {
          note = deps.create({ title: notification.title, body: notification.body, actions })
        } catch (error) {
          reject(error)
          return
        }
        const timer = setTimeout(resolve, deps.showTimeoutMs ?? 3_000)
        note.on('show', () => {
          clearTimeout(timer)
          resolve()
        })
        note.on('failed', (_event, error) => {
          clearTimeout(timer)
          reject(new Error(`the system refused the notification: ${error}`))
        })
        note.on('click', () => deps.onClick(notification))
        note.on('action', () => suggested && deps.onLaunch(suggested))
        try {
          note.show()
        } catch (error) {
          clearTimeout(timer)
          reject(error)
        }
      })
    },
  }
}
