import type { Result } from '../result'
import type { Channel, EventName } from './channels'
import type { EventPayload, InputOf, OutputOf } from './contract'

/** What the preload exposes as `window.api`: one function per channel, and event subscriptions. */
export type Api = {
  readonly [C in Channel]: (input: InputOf<C>) => Promise<Result<OutputOf<C>>>
} & {
  /** Subscribes to a main-process event; returns the unsubscribe function. */
  readonly on: <E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) => () => void
}
