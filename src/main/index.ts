import { app, dialog, ipcMain, Notification } from 'electron'
import Store from 'electron-store'
import { join } from 'node:path'
import { clockTime } from '../shared/format'
import { createAppCore } from './appCore'
import type { LauncherPort } from './ipc/handlers'
import { defaultHome } from './paths'
import { createDashboardWindow } from './shell/dashboardWindow'
import { createElectronTray } from './shell/electronTray'
import { createTerminalLauncher } from './shell/launcherPort'
import { createNativeNotifier } from './shell/nativeNotifier'
import { createAppPreferences } from './shell/preferences'
import { createTrayController } from './shell/tray'
import type { TrayCommand } from './shell/trayMenu'
import { createStateStore } from './store/stateStore'

// Composition root: builds ports, engine and shell, and wires events. Behaviour lives elsewhere.
const home = defaultHome()
if (!app.requestSingleInstanceLock()) app.exit(0)
app.setPath('userData', home)
const outDir = join(import.meta.dirname, '..')

void app
  .whenReady()
  .then(async () => {
    if (process.platform === 'darwin') app.dock?.hide()
    const preferences = createAppPreferences(new Store({ name: 'preferences', clearInvalidConfig: true }))
    const dashboard = createDashboardWindow(outDir, {
      get: () => preferences.get().windowBounds,
      save: (bounds) => preferences.set('windowBounds', bounds),
    })
    let accountNames = new Map<string, string>()
    let launchOrExplain: LauncherPort['launch'] = async () => ({ launched: false, message: 'starting' })
    const core = createAppCore({
      home,
      store: createStateStore({
        home,
        lock: { command: 'Auth Pool (tray app)' },
        // The state file was unusable: say what was restored, once, where the user sees it.
        onRecover: (r) =>
          new Notification({
            title: r.backup ? 'Auth Pool restored its state from a backup' : 'Auth Pool started with an empty pool',
            body: `${r.reason}${r.movedAsideTo ? `; the unusable file is kept at ${r.movedAsideTo}` : ''}`,
          }).show(),
      }),
      notifier: createNativeNotifier({
        isSupported: () => Notification.isSupported(),
        create: (options) => new Notification(options),
        accountName: (id) => accountNames.get(id),
        onClick: (n) => dashboard.show({ view: 'overview', accountId: n.accountId }),
        onLaunch: (accountId) => void launchOrExplain({ account: accountId }),
      }),
      launcher: { launch: (request) => launchOrExplain(request), login: (account) => launcher.login(account) },
      chooseFile: async (title) => {
        const chosen = await dialog.showOpenDialog({ title, properties: ['openFile', 'showHiddenFiles'] })
        return chosen.canceled ? null : (chosen.filePaths[0] ?? null)
      },
      isTrustedSender: (sender) => dashboard.isOurs(sender),
    })
    const { engine } = core
    const launcher = createTerminalLauncher({
      cliEntry: join(outDir, 'main', 'cli.js'),
      execPath: process.execPath,
      terminalSetting: async () => (await engine.settings()).terminalCommand,
      defaultCwd: () => app.getPath('home'),
    })
    launchOrExplain = async (request) => {
      const result = await launcher.launch(request)
      if (!result.launched && Notification.isSupported())
        new Notification({ title: 'Auth Pool could not open a terminal', body: result.message }).show()
      return result
    }
    core.router.bindIpcMain(ipcMain)

    const onCommand = (command: TrayCommand): void => {
      if (command.kind === 'pick') void engine.setPreferredAccount(command.accountId)
      else if (command.kind === 'launch') void launchOrExplain({})
      else if (command.kind === 'launchInFolder')
        void dialog.showOpenDialog({ properties: ['openDirectory'] }).then(async (r) => {
          const folder = r.canceled ? undefined : r.filePaths[0]
          if (folder) await launchOrExplain({ cwd: folder })
        })
      else if (command.kind === 'openDashboard')
        dashboard.show(command.view ? { view: command.view, accountId: command.accountId ?? null } : undefined)
      else if (command.kind === 'togglePause')
        void engine.settings().then((s) => engine.updateSettings({ rebalancePaused: !s.rebalancePaused }))
      else app.quit()
    }
    const tray = createTrayController({
      createTray: () => createElectronTray(join(outDir, '..', 'resources')),
      state: async () => {
        const status = await engine.status()
        accountNames = new Map(status.accounts.map((a) => [a.id, a.name]))
        return { status, paused: (await engine.settings()).rebalancePaused, time: (iso: string) => clockTime(iso) }
      },
      onCommand,
    })
    core.onEvent((event, payload) => {
      tray.update()
      dashboard.send(event, payload)
    })

    await core.start()
    await tray.refresh()
    app.on('second-instance', () => dashboard.show())
    app.on('window-all-closed', () => undefined) // a tray app keeps running without windows
    app.on('before-quit', () => {
      tray.dispose()
      dashboard.destroy()
      void core.stop()
    })
    // Hooks for the _electron end-to-end spec only.
    if (process.env.AUTH_POOL_TEST_HOOKS === '1')
      Object.assign(globalThis, {
        __authPool: {
          trayLabels: () => tray.lastMenu().flatMap((i) => (i.type === 'separator' ? [] : [i.label])),
          openDashboard: () => dashboard.show(),
          notifications: async () => [...(await engine.notifications())],
        },
      })
  })
  .catch((error: unknown) => {
    // A state folder the system refuses (a full disk, one the user may not write: see StoreIoError) or any
    // other failure to start: a tray app that failed silently would just be missing. Say why, then quit.
    dialog.showErrorBox('Auth Pool could not start', error instanceof Error ? error.message : String(error))
    app.exit(1)
  })
