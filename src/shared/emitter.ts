/** A minimal typed event: `event(listener)` subscribes and returns the unsubscribe function. */
export interface Event<T> {
  (listener: (value: T) => void): () => void
}

export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>()
  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value)
  }
}
