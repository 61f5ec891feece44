import { toErrorValue } from '../../shared/errors'
import { CHANNELS, type Channel } from '../../shared/ipc/channels'
import { CONTRACT, type OutputOf, type ParsedInputOf } from '../../shared/ipc/contract'
import { err, issuesFromZod, ok, type Result } from '../../shared/result'

/** Who sent a message: enough to tell our own window's top frame from anything else. */
export interface Sender {
  /** webContents id. */
  readonly id: number
  readonly url: string
  readonly isTopFrame: boolean
}

export type Handlers = { readonly [C in Channel]: (input: ParsedInputOf<C>) => Promise<OutputOf<C>> }

export interface Router {
  /** Transport-agnostic: a channel and a payload in, a Result out. Never throws. */
  handle(channel: unknown, payload: unknown, sender: Sender): Promise<Result<unknown>>
  /** Registers every channel with Electron's ipcMain: the only place `ipcMain.handle` is called. */
  bindIpcMain(ipcMain: IpcMainLike): void
}

/** The slice of Electron's ipcMain the router uses (typed here so this file never imports Electron). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, payload: unknown) => unknown): void
}
export interface IpcEventLike {
  readonly sender: { readonly id: number }
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null
}

export function senderOf(event: IpcEventLike): Sender {
  return {
    id: event.sender.id,
    url: event.senderFrame?.url ?? '',
    isTopFrame: !!event.senderFrame && event.senderFrame.parent === null,
  }
}

/**
 * One router, validated at the door: checks the sender, parses the input with the contract's schema,
 * calls the handler, checks the output against the contract, and answers with a Result whose
 * validation errors carry field paths (Electron forwards only an error's message, so errors are values).
 */
export function createRouter(options: {
  readonly handlers: Handlers
  readonly isTrustedSender: (sender: Sender) => boolean
}): Router {
  const channels = new Set<string>(CHANNELS)
  async function handle(channel: unknown, payload: unknown, sender: Sender): Promise<Result<unknown>> {
    if (typeof channel !== 'string' || !channels.has(channel))
      return err({ code: 'UNKNOWN_CHANNEL', message: `unknown channel ${JSON.stringify(channel)}` })
    if (!options.isTrustedSender(sender))
      return err({ code: 'FORBIDDEN', message: `messages from ${sender.url || 'an unknown frame'} are not accepted` })
    const contract = CONTRACT[channel as Channel]
    const input = contract.input.safeParse(payload)
    if (!input.success)
      return err({ code: 'VALIDATION', message: `invalid input for ${channel}`, issues: issuesFromZod(input.error) })
    try {
      const handler = options.handlers[channel as Channel] as (input: unknown) => Promise<unknown>
      const output = contract.output.safeParse(await handler(input.data))
      if (!output.success)
        return err({
          code: 'INTERNAL',
          message: `${channel} produced output outside its contract: ${output.error.issues[0]?.message}`,
        })
      return ok(output.data)
    } catch (error) {
      return err(toErrorValue(error))
    }
  }
  return {
    handle,
    bindIpcMain(ipcMain) {
      for (const channel of CHANNELS)
        ipcMain.handle(channel, (event, payload) => handle(channel, payload, senderOf(event)))
    },
  }
}
