import { contextBridge, ipcRenderer } from 'electron'
import { CHANNELS, EVENTS, type EventName } from '../shared/ipc/channels'

// window.api: one named function per contract channel and event subscriptions. ipcRenderer itself is
// never exposed; the Electron event object is dropped; every subscription returns its unsubscribe.
const api: Record<string, unknown> = {}
for (const channel of CHANNELS) api[channel] = (input: unknown) => ipcRenderer.invoke(channel, input)
api.on = (event: EventName, listener: (payload: unknown) => void) => {
  if (!EVENTS.includes(event)) throw new Error(`unknown event ${event}`)
  const wrapped = (_event: unknown, payload: unknown) => listener(payload)
  ipcRenderer.on(event, wrapped)
  return () => void ipcRenderer.removeListener(event, wrapped)
}
contextBridge.exposeInMainWorld('api', Object.freeze(api))

// A middle click on a link asks for a new window (auxclick); the main process denies every new window
// anyway, and this keeps the click from doing anything at all.
const page = globalThis as unknown as {
  addEventListener(type: 'auxclick', listener: (event: { preventDefault(): void }) => void, capture: boolean): void
}
page.addEventListener('auxclick', (event) => event.preventDefault(), true)
