import { BrowserWindow, net, protocol, screen, session, shell } from 'electron'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import type { EventName } from '../../shared/ipc/channels'
import type { EventPayload } from '../../shared/ipc/contract'
import type { WindowBounds } from '../../shared/schemas/preferences'
import {
  APP_SCHEME,
  CONTENT_SECURITY_POLICY,
  DASHBOARD_URL,
  hardenWebContents,
  isAppUrl,
  rendererFileFor,
  SECURE_WEB_PREFERENCES,
} from './security'

export interface DashboardWindow {
  /** Shows the dashboard (created on first use), optionally on a view and account. */
  show(navigate?: EventPayload<'event:navigate'>): void
  send<E extends EventName>(event: E, payload: EventPayload<E>): void
  /** The window's webContents id and URL check, for the router's sender test. */
  isOurs(sender: { id: number; url: string; isTopFrame: boolean }): boolean
  destroy(): void
}

/** Where the window was last time, kept among the app's preferences. */
export interface BoundsMemory {
  get(): WindowBounds | null
  save(bounds: WindowBounds): void
}

/** Whether any part of `b` lies on a display that is there now (a monitor may have been unplugged). */
const onScreen = (b: WindowBounds) =>
  screen
    .getAllDisplays()
    .some(
      ({ workArea: a }) => b.x < a.x + a.width && a.x < b.x + b.width && b.y < a.y + a.height && a.y < b.y + b.height,
    )

/**
 * Serves the built renderer on the app scheme (registered as privileged before the app is ready), each
 * response with the strict CSP header; anything outside the renderer's folder is not found.
 */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = rendererFileFor(request.url, rendererDir)
    if (!file) return new Response('not found', { status: 404 })
    const found = await net.fetch(pathToFileURL(file).toString()).catch(() => undefined)
    if (!found?.ok) return new Response('not found', { status: 404 })
    const headers = new Headers(found.headers)
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    return new Response(found.body, { status: 200, headers })
  })
}

/**
 * The dashboard: created on demand where it was last time, hidden (not destroyed) on close, sandboxed,
 * under a strict CSP, served from the app scheme.
 */
export function createDashboardWindow(outDir: string, bounds: BoundsMemory): DashboardWindow {
  const devServerUrl = process.env.ELECTRON_RENDERER_URL
  const app = { devServerUrl }
  let window: BrowserWindow | undefined
  let quitting = false
  let cspInstalled = false

  function create(): BrowserWindow {
    if (!cspInstalled) {
      cspInstalled = true
      session.defaultSession.webRequest.onHeadersReceived((details, callback) =>
        callback({
          responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
        }),
      )
    }
    const saved = bounds.get()
    const win = new BrowserWindow({
      ...(saved && onScreen(saved) ? saved : { width: 1100, height: 760 }),
      minWidth: 720,
      minHeight: 520,
      show: false,
      title: 'Auth Pool',
      webPreferences: { ...SECURE_WEB_PREFERENCES, preload: join(outDir, 'preload', 'index.cjs') },
    })
    hardenWebContents(win.webContents, {
      isAppUrl: (url) => isAppUrl(url, app),
      openExternal: (url) => void shell.openExternal(url),
    })
    win.on('close', (event) => {
      bounds.save(win.getBounds())
      if (quitting) return
      event.preventDefault()
      win.hide()
    })
    void win.loadURL(devServerUrl ?? DASHBOARD_URL)
    return win
  }

  return {
    show(navigate) {
      window ??= create()
      const win = window
      const reveal = () => {
        win.show()
        win.focus()
        if (navigate) win.webContents.send('event:navigate', navigate)
      }
      if (win.webContents.isLoading()) win.webContents.once('did-finish-load', reveal)
      else reveal()
    },
    send(event, payload) {
      if (window && !window.isDestroyed()) window.webContents.send(event, payload)
    },
    isOurs(sender) {
      return (
        !!window &&
        !window.isDestroyed() &&
        sender.id === window.webContents.id &&
        sender.isTopFrame &&
        isAppUrl(sender.url, app)
      )
    },
    destroy() {
      quitting = true
      window?.destroy()
    },
  }
}
