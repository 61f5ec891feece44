import { app, BrowserWindow, Menu, Notification, Tray, nativeImage } from 'electron'
import Store from 'electron-store'
import { join } from 'node:path'
import { createEngine } from './engine'
import { nodeFileSystem, nodeProcesses, systemClock } from './engine/nodePorts'
import { createUsageService } from './engine/usage/usageService'
import { defaultHome } from './paths'
import { backendFromConf, confOptions } from './store/backend'
import { createStateStore } from './store/stateStore'

// Composition root. Everything below is wiring; behaviour lives in the engine and is tested in Node.
if (!app.requestSingleInstanceLock()) app.quit()

const home = defaultHome()
app.setPath('userData', home)

let window: BrowserWindow | undefined
let tray: Tray | undefined

function showDashboard(): void {
  window ??= new BrowserWindow({
    width: 1000,
    height: 720,
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    },
  })
  window.on('close', (event) => {
    event.preventDefault()
    window?.hide()
  })
  if (process.env.ELECTRON_RENDERER_URL) void window.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void window.loadFile(join(import.meta.dirname, '../renderer/index.html'))
  window.show()
}

app.on('second-instance', showDashboard)
app.on('window-all-closed', () => undefined) // a tray app keeps running without windows

void app.whenReady().then(async () => {
  if (process.platform === 'darwin') app.dock?.hide()
  const store = createStateStore({ backend: backendFromConf(new Store<Record<string, unknown>>(confOptions(home))) })
  const usage = createUsageService({ indexDir: join(home, 'usage-index') })
  const engine = createEngine({
    store,
    clock: systemClock,
    notifier: {
      async notify(n) {
        if (!Notification.isSupported()) throw new Error('notifications are not supported here')
        new Notification({ title: n.title, body: n.body }).show()
      },
    },
    processes: nodeProcesses,
    fs: nodeFileSystem,
    usage,
  })
  const syncUsage = async () => {
    usage.setPricing((await engine.settings()).pricing)
    usage.watch(await engine.listAccounts())
  }
  // Make sure the state file exists from the first start, so the CLI and the app agree on where it is.
  await store.transact(() => undefined)
  await engine.startScheduler()
  tray = new Tray(nativeImage.createFromPath(join(import.meta.dirname, '../../resources/tray-ok-16.png')))
  let labels: string[] = []
  const rebuild = async () => {
    const status = await engine.status()
    const template: Electron.MenuItemConstructorOptions[] = [
      { label: `${status.availableCount} of ${status.accounts.length} accounts available`, enabled: false },
      { type: 'separator' },
      { label: 'Open dashboard', click: showDashboard },
      { label: 'Quit', click: () => app.quit() },
    ]
    labels = template.flatMap((item) => (item.label ? [item.label] : []))
    tray?.setToolTip(`Auth Pool — ${status.availableCount} of ${status.accounts.length} accounts available`)
    tray?.setContextMenu(Menu.buildFromTemplate(template))
  }
  // Hooks for the _electron end-to-end spec only.
  if (process.env.AUTH_POOL_TEST_HOOKS === '1')
    Object.assign(globalThis, { __authPool: { trayLabels: () => labels, openDashboard: showDashboard } })
  await syncUsage()
  usage.onDidChangeUsage(() => {
    void rebuild()
    void engine.evaluateRules().catch(() => undefined) // delivery failures are kept as undelivered records
  })
  void engine.deliverPending()
  engine.onDidChangeAccounts(() => void syncUsage().then(rebuild))
  engine.onDidChangeSessions(() => void rebuild())
  await rebuild()
  app.on('before-quit', () => {
    engine.scheduler.stop()
    usage.close()
    void engine.idle().then(() => store.flush())
    tray?.destroy()
    window?.removeAllListeners('close')
  })
})
