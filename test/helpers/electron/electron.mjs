// The one stand-in for the `electron` module, for the composition root's wiring test (test/shellWiring.test.ts):
// it records what the app asks of Electron as messages to the test (process.send), and takes the test's
// commands (click a tray item, call an IPC channel from the dashboard, quit). Real Electron is checked by
// e2e/electron.spec.ts where a binary exists.
import { EventEmitter } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { fileURLToPath } from 'node:url'

const record = (type, detail = {}) => process.send?.({ type, ...JSON.parse(JSON.stringify(detail)) })
let menu = []
const windows = []

class App extends EventEmitter {
  isPackaged = false
  dock = { hide: () => record('app.dock.hide') }
  paths = { home: homedir() }
  requestSingleInstanceLock = () => (record('app.requestSingleInstanceLock'), true)
  setAppUserModelId = (id) => record('app.setAppUserModelId', { id })
  setPath = (name, path) => (this.paths[name] = path)
  getPath = (name) => this.paths[name] ?? this.paths.home
  getVersion = () => '0.0.0-stand-in'
  getName = () => 'Auth Pool'
  getAppPath = () => process.cwd()
  whenReady = () => Promise.resolve()
  setLoginItemSettings = (settings) => record('app.setLoginItemSettings', settings)
  getLoginItemSettings = () => ({ openAtLogin: false })
  exit = (code) => (record('app.exit', { code }), process.exit(code))
  quit = () => {
    record('app.quit')
    this.emit('before-quit', { preventDefault() {} })
    process.disconnect() // nothing else keeps the process: it ends once the app has let go of everything
  }
}
export const app = new App()

const handlers = new Map()
export const ipcMain = {
  handle: (channel, handler) => (handlers.set(channel, handler), record('ipcMain.handle', { channel })),
  on: () => undefined,
}

export const dialog = {
  showErrorBox: (title, message) => record('dialog.showErrorBox', { title, message }),
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showMessageBox: async (options) => (record('dialog.showMessageBox', { message: options.message }), { response: 0 }),
}

export class Notification extends EventEmitter {
  static isSupported = () => true
  constructor(options) {
    super()
    this.options = options
  }
  show() {
    record('notification.show', { title: this.options.title, body: this.options.body })
    setImmediate(() => this.emit('show'))
  }
}

export const protocol = {
  registerSchemesAsPrivileged: (schemes) => record('protocol.registerSchemesAsPrivileged', { schemes }),
  handle: (scheme, handler) => ((protocol.handler = handler), record('protocol.handle', { scheme })),
}
export const net = {
  fetch: async (url) => {
    const path = fileURLToPath(url)
    return existsSync(path) ? new Response(readFileSync(path)) : new Response('', { status: 404 })
  },
}

export const session = {
  defaultSession: {
    webRequest: { onHeadersReceived: () => undefined },
    // Asked at once, as a page would ask: what the app answers is recorded.
    setPermissionRequestHandler: (handler) =>
      handler(null, 'media', (granted) => record('session.permissionRequest', { permission: 'media', granted })),
    setPermissionCheckHandler: (handler) =>
      record('session.permissionCheck', { permission: 'notifications', granted: handler(null, 'notifications') }),
  },
}

export const nativeImage = { createFromPath: (path) => ({ path, exists: existsSync(path) }) }
export const Menu = { buildFromTemplate: (template) => template }
export class Tray {
  constructor(image) {
    record('tray.new', image)
  }
  setImage = (image) => record('tray.setImage', image)
  setToolTip = (text) => record('tray.setToolTip', { text })
  setContextMenu = (template) => {
    menu = template
    record('tray.setContextMenu', { labels: template.map((i) => i.label ?? '—') })
  }
  on = () => undefined
  destroy = () => record('tray.destroy')
}

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super()
    record('window.new', { webPreferences: options.webPreferences, show: options.show })
    windows.push(this)
    this.webContents = Object.assign(new EventEmitter(), {
      id: 7,
      url: '',
      isLoading: () => false,
      send: (channel) => record('window.send', { channel }),
      setWindowOpenHandler: (handler) =>
        record('window.openHandler', { action: handler({ url: 'https://example.com/' }).action }),
    })
  }
  loadURL = async (url) => ((this.webContents.url = url), record('window.loadURL', { url }))
  show = () => record('window.show')
  focus = () => undefined
  hide = () => undefined
  getBounds = () => ({ x: 10, y: 10, width: 1100, height: 760 })
  isDestroyed = () => false
  destroy = () => record('window.destroy')
}
export const screen = { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] }
export const shell = { openExternal: async () => undefined, openPath: async () => '' }

// The test's commands.
process.on('message', async (command) => {
  if (command.do === 'click') menu.find((item) => item.label === command.label)?.click?.()
  else if (command.do === 'quit') app.quit()
  else if (command.do === 'ipc') {
    // As the dashboard window's top frame calls it.
    const contents = windows[0]?.webContents
    const event = { sender: { id: contents?.id ?? 0 }, senderFrame: { url: contents?.url ?? '', parent: null } }
    record('ipc.result', {
      channel: command.channel,
      result: await handlers.get(command.channel)(event, command.input),
    })
  } else if (command.do === 'app') {
    // A page of the dashboard, as the app scheme serves it.
    const response = await protocol.handler(new Request(command.url))
    record('app.response', {
      url: command.url,
      status: response.status,
      csp: response.headers.get('content-security-policy'),
    })
  }
})

export default {
  app,
  ipcMain,
  dialog,
  Notification,
  protocol,
  net,
  session,
  nativeImage,
  Menu,
  Tray,
  BrowserWindow,
  screen,
  shell,
}
