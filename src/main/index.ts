import { app, dialog, ipcMain, Notification, protocol, session } from 'electron'
import Store from 'electron-store'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { clockTime } from '../shared/format'
import { createAppCore } from './appCore'
import { createDesktop } from './desktop/desktop'
import { appCommand, createLoginItem } from './desktop/loginItem'
import { writeLauncher } from './desktop/pathCommand'
import { needsTrayHint, TRAY_HINT } from './desktop/trayHint'
import type { LauncherPort } from './ipc/handlers'
import { commandRuntime, defaultHome } from './paths'
import { APP_ID } from './shell/appId'
import { createDashboardWindow, serveRenderer } from './shell/dashboardWindow'
import { createElectronTray } from './shell/electronTray'
import { createTerminalLauncher } from './shell/launcherPort'
import { createNativeNotifier } from './shell/nativeNotifier'
import { createAppPreferences } from './shell/preferences'
import { APP_SCHEME_PRIVILEGES, denyAllPermissions } from './shell/security'
import { createTrayController } from './shell/tray'
import type { TrayCommand } from './shell/trayMenu'
import { createStateStore } from './store/stateStore'

// Composition root: builds ports, engine and shell, and wires events. Behaviour lives elsewhere.
const home = defaultHome()
// Windows drops the toasts of an app whose id differs from its installer's (electron-builder.yml's appId).
app.setAppUserModelId(APP_ID)
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES])
if (!app.requestSingleInstanceLock()) app.exit(0)
else start()

function start(): void {
  app.setPath('userData', home)
  const outDir = join(import.meta.dirname, '..')
  // What the `auth-pool` command runs: this app's CLI bundles, with this app's runtime as Node.
  const runtime = commandRuntime(join(outDir, 'main'), process.execPath)

  void app
    .whenReady()
    .then(async () => {
      if (process.platform === 'darwin') app.dock?.hide() // LSUIElement in the package; this for `npm start`
      denyAllPermissions(session.defaultSession)
      serveRenderer(join(outDir, 'renderer'))
      const preferences = createAppPreferences(new Store({ name: 'preferences', clearInvalidConfig: true }))
      const notify = (title: string, body: string) => {
        if (Notification.isSupported()) new Notification({ title, body }).show()
      }
      const loginItem = createLoginItem({
        platform: process.platform,
        env: process.env,
        homedir: homedir(),
        command: appCommand(process.execPath, process.env, app.isPackaged ? null : app.getAppPath()),
        electron: app,
      })
      const desktop = createDesktop({
        platform: process.platform,
        env: process.env,
        homedir: homedir(),
        loginItem,
        runtime,
        remember: (on) => preferences.set('launchAtLogin', on),
      })
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
            notify(
              r.backup ? 'Auth Pool restored its state from a backup' : 'Auth Pool started with an empty pool',
              `${r.reason}${r.movedAsideTo ? `; the unusable file is kept at ${r.movedAsideTo}` : ''}`,
            ),
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
        desktop,
        // An account's status line runs this app's command: a launcher kept beside the state (rewritten at
        // every start, so it follows the app when it moves or updates).
        executable: writeLauncher(join(home, 'bin'), process.platform, runtime),
      })
      const { engine } = core
      const launcher = createTerminalLauncher({
        cliEntry: runtime.cli,
        execPath: process.execPath,
        terminalSetting: async () => (await engine.settings()).terminalCommand,
        defaultCwd: () => app.getPath('home'),
      })
      launchOrExplain = async (request) => {
        const result = await launcher.launch(request)
        if (!result.launched) notify('Auth Pool could not open a terminal', result.message)
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
        else if (command.kind === 'toggleStartAtLogin') {
          desktop.setStartAtLogin(!desktop.status().startAtLogin)
          tray.update()
        } else if (command.kind === 'installCommand') {
          const outcome = desktop.installCommand()
          notify(outcome.path ? 'The auth-pool command' : 'Could not install the auth-pool command', outcome.message)
          tray.update()
        } else app.quit()
      }
      const tray = createTrayController({
        createTray: () => createElectronTray(join(outDir, '..', 'resources')),
        state: async () => {
          const status = await engine.status()
          accountNames = new Map(status.accounts.map((a) => [a.id, a.name]))
          const { startAtLogin, commandPath } = desktop.status()
          return {
            status,
            paused: (await engine.settings()).rebalancePaused,
            time: (iso: string) => clockTime(iso),
            desktop: { startAtLogin, commandInstalled: commandPath !== null },
          }
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
      // Not awaited: a question left open (the user is elsewhere) must not hold the app up.
      void firstStart().catch(() => undefined)

      /** Asked once: start at login (yes by default); on GNOME, where the tray icon needs an extension. */
      async function firstStart(): Promise<void> {
        if (needsTrayHint(process.platform, process.env) && !preferences.get().trayHintShown) {
          notify(TRAY_HINT.title, TRAY_HINT.body)
          preferences.set('trayHintShown', true)
        }
        if (preferences.get().launchAtLogin === null) {
          const { response } = await dialog.showMessageBox({
            type: 'question',
            message: 'Start Auth Pool when you log in?',
            detail:
              'It lives in the tray and starts each Claude Code session on an account with headroom. You can change this in the tray menu or in Settings.',
            buttons: ['Start at login', 'Not now'],
            defaultId: 0,
            cancelId: 1,
          })
          desktop.setStartAtLogin(response === 0)
          tray.update()
        }
      }
    })
    .catch((error: unknown) => {
      // A state folder the system refuses (a full disk, one the user may not write: see StoreIoError) or any
      // other failure to start: a tray app that failed silently would just be missing. Say why, then quit.
      dialog.showErrorBox('Auth Pool could not start', error instanceof Error ? error.message : String(error))
      app.exit(1)
    })
}
