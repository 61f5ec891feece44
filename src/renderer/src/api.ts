import { useCallback, useEffect, useRef, useState } from 'react'
import type { Api } from '../../shared/ipc/api'
import type { Channel, EventName } from '../../shared/ipc/channels'
import type { InputOf, OutputOf } from '../../shared/ipc/contract'
import type { ErrorValue, FieldIssue, Result } from '../../shared/result'

/** The typed bridge to the main process (the preload's window.api). */
export const api = (): Api => window.api

export function call<C extends Channel>(channel: C, input: InputOf<C>): Promise<Result<OutputOf<C>>> {
  return (api()[channel] as (input: InputOf<C>) => Promise<Result<OutputOf<C>>>)(input)
}

/**
 * Loads a channel's value and reloads it whenever one of the given main-process events arrives.
 * The renderer never polls: it reacts to events.
 */
export function useChannel<C extends Channel>(channel: C, input: InputOf<C>, reloadOn: readonly EventName[]) {
  const [state, setState] = useState<{ data?: OutputOf<C>; error?: ErrorValue }>({})
  const key = JSON.stringify(input ?? null)
  const latest = useRef(0)
  const load = useCallback(async () => {
    const ticket = ++latest.current
    const result = await call(channel, JSON.parse(key) ?? undefined)
    if (ticket !== latest.current) return // a newer load is on its way
    setState(result.ok ? { data: result.value } : { error: result.error })
  }, [channel, key])
  useEffect(() => {
    void load()
    const offs = reloadOn.map((event) => api().on(event, () => void load()))
    return () => offs.forEach((off) => off())
  }, [load]) // reloadOn is a constant list per call site
  return { ...state, reload: load }
}

/** Field errors of a failed call, by the first element of their path. */
export function fieldErrors(error: ErrorValue | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const issue of (error?.issues ?? []) as FieldIssue[]) {
    const key = issue.path.join('.')
    out[key] ??= issue.message
  }
  return out
}

/** A clock for countdowns; data still arrives only through events. */
export function useNow(intervalMs = 15_000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs)
    return () => clearInterval(timer)
  }, [intervalMs])
  return now
}
