import { resolve, sep } from 'node:path'

// Electron's security checklist, in one place. Pure functions and structurally typed hooks, so the
// rules are tested in Node; src/main/index.ts applies them to real windows.

/** webPreferences of every window: the electron-vite template turns the sandbox off; we don't. */
export const SECURE_WEB_PREFERENCES = {
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  spellcheck: false,
} as const

/** No remote content: everything the renderer loads is its own bundle. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ')

/** Links the app may open in the user's browser. */
const EXTERNAL_ALLOW_LIST = [
  'https://docs.anthropic.com/',
  'https://docs.claude.com/',
  'https://claude.ai/',
  'https://support.anthropic.com/',
  'https://status.anthropic.com/',
]

export function isAllowedExternalUrl(url: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  return (
    parsed.protocol === 'https:' &&
    !parsed.username &&
    !parsed.password &&
    EXTERNAL_ALLOW_LIST.some((prefix) => parsed.href.startsWith(prefix))
  )
}

/**
 * The dashboard is served from a scheme of its own, not file://: its responses carry the CSP header
 * (file:// has no headers), and its pages cannot read other files.
 */
export const APP_SCHEME = 'app'
export const APP_ORIGIN = `${APP_SCHEME}://dashboard`
export const DASHBOARD_URL = `${APP_ORIGIN}/index.html`
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
} as const

/** True for the renderer's own pages: the app scheme's, or the dev server's in development. */
export function isAppUrl(url: string, app: { readonly devServerUrl?: string }): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (app.devServerUrl && parsed.origin === new URL(app.devServerUrl).origin) return true
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === 'dashboard'
}

/**
 * The file an app-scheme request names inside the renderer's folder, or null for anything else (another
 * host, a path that climbs out, a folder).
 */
export function rendererFileFor(url: string, rendererDir: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== 'dashboard') return null
  let path: string
  try {
    path = decodeURIComponent(parsed.pathname)
  } catch {
    return null
  }
  const root = resolve(rendererDir)
  const file = resolve(root, `.${path}`)
  return !path.includes('\0') && !path.endsWith('/') && file.startsWith(root + sep) ? file : null
}

export interface PermissionSessionLike {
  setPermissionRequestHandler(
    handler: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void,
  ): void
  setPermissionCheckHandler(handler: (contents: unknown, permission: string) => boolean): void
}

/** The dashboard needs no permission at all (camera, notifications from the page, clipboard reads…). */
export function denyAllPermissions(session: PermissionSessionLike): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
}

export interface WebContentsLike {
  readonly id: number
  on(event: 'will-navigate' | 'will-redirect', listener: (event: { preventDefault(): void }, url: string) => void): void
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): void
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void
}

/** Denies navigation away from the app and every new window; allowed links open in the browser. */
export function hardenWebContents(
  contents: WebContentsLike,
  deps: { readonly isAppUrl: (url: string) => boolean; readonly openExternal: (url: string) => void },
): void {
  const stay = (event: { preventDefault(): void }, url: string) => {
    if (deps.isAppUrl(url)) return
    event.preventDefault()
    if (isAllowedExternalUrl(url)) deps.openExternal(url)
  }
  contents.on('will-navigate', stay)
  contents.on('will-redirect', stay)
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) deps.openExternal(url)
    return { action: 'deny' }
  })
}
