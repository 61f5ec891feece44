import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../../../test/helpers/processes'
import { tempDir } from '../../../test/helpers/tempDir'
import { commandRuntime } from '../paths'
import { createDesktop } from './desktop'
import { appCommand, autostartEntry, autostartPath, createLoginItem, type ElectronLoginItems } from './loginItem'
import { installCommand, installedCommand, launcherScript, writeLauncher } from './pathCommand'
import { needsTrayHint } from './trayHint'

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
const BUILT = commandRuntime(join(ROOT, 'out', 'main'), process.execPath)

describe('start at login', () => {
  it('on Linux, is an autostart entry that runs the app (the AppImage itself, when it is one)', () => {
    const home = tempDir('home-')
    const env = { XDG_CONFIG_HOME: join(home, 'config') }
    const command = appCommand('/opt/Auth Pool/auth-pool-app', {}, null)
    const item = createLoginItem({ platform: 'linux', env, homedir: home, command })
    expect(item.isEnabled()).toBe(false)
    item.setEnabled(true)
    const path = autostartPath(env, home)
    expect(path).toBe(join(home, 'config', 'autostart', 'auth-pool.desktop'))
    expect(readFileSync(path, 'utf8')).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Name=Auth Pool',
        'Comment=Starts each Claude Code session on a subscription with headroom',
        'Exec="/opt/Auth Pool/auth-pool-app"',
        'Icon=auth-pool',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    )
    expect(item.isEnabled()).toBe(true)
    item.setEnabled(false)
    expect(existsSync(path)).toBe(false)
    expect(
      appCommand('/tmp/.mount_AuthPoX/auth-pool-app', { APPIMAGE: '/home/dev/Apps/Auth Pool.AppImage' }, null),
    ).toEqual({
      executable: '/home/dev/Apps/Auth Pool.AppImage',
      args: [],
    })
    // Unpackaged (npm start): Electron and the app's folder; quoted as the desktop entry spec says.
    expect(autostartEntry({ executable: '/x/electron', args: ['/src/auth pool', '100%$'] })).toContain(
      'Exec=/x/electron "/src/auth pool" "100%%\\$"',
    )
  })

  it("on macOS and Windows, is Electron's login item (Windows keyed by the executable and its arguments)", () => {
    const calls: unknown[] = []
    let open = false
    const electron: ElectronLoginItems = {
      setLoginItemSettings: (settings) => {
        calls.push(settings)
        open = settings.openAtLogin
      },
      getLoginItemSettings: (options) => (calls.push({ get: options }), { openAtLogin: open }),
    }
    const command = { executable: 'C:\\Program Files\\Auth Pool\\Auth Pool.exe', args: [] }
    for (const platform of ['darwin', 'win32'] as const) {
      calls.length = 0
      const item = createLoginItem({ platform, env: {}, homedir: '/home/dev', command, electron })
      item.setEnabled(true)
      expect(item.isEnabled()).toBe(true)
      item.setEnabled(false)
      const where = platform === 'win32' ? { path: command.executable, args: [] } : {}
      expect(calls).toEqual([{ openAtLogin: true, ...where }, { get: where }, { openAtLogin: false, ...where }])
    }
  })

  it('is remembered among the preferences when changed', () => {
    const home = tempDir('home-')
    const remembered: boolean[] = []
    const desktop = createDesktop({
      platform: 'linux',
      env: { XDG_CONFIG_HOME: join(home, 'config'), PATH: '' },
      homedir: home,
      loginItem: createLoginItem({
        platform: 'linux',
        env: { XDG_CONFIG_HOME: join(home, 'config') },
        homedir: home,
        command: { executable: '/opt/auth-pool', args: [] },
      }),
      runtime: BUILT,
      remember: (on) => remembered.push(on),
    })
    desktop.setStartAtLogin(true)
    expect(desktop.status()).toEqual({ startAtLogin: true, commandPath: null })
    desktop.setStartAtLogin(false)
    expect(remembered).toEqual([true, false])
  })
})

describe('the auth-pool command on the PATH', () => {
  /** Runs `auth-pool ARGS` as a new terminal would: by name, through PATH, in a fresh shell. */
  const fromPath = (dir: string, args: string, input?: string) =>
    spawnSync('sh', ['-c', `auth-pool ${args}`], {
      env: { PATH: `${dir}${delimiter}/usr/bin${delimiter}/bin`, HOME: tempDir('home-') },
      encoding: 'utf8',
      input,
    })

  it("runs the built CLI with the app's runtime: --version matches the app, and the status line has its own entry", () => {
    const dir = tempDir('bin-')
    const path = writeLauncher(dir, process.platform, BUILT)
    expect(path).toBe(join(dir, 'auth-pool'))
    const run = fromPath(dir, '--version')
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe(`${version}\n`)
    expect(fromPath(dir, 'statusline', 'not json').status).toBe(0) // the status line never fails a render
    expect(launcherScript('linux', BUILT).text).toContain(`entry='${BUILT.statusline}'`)
    // Windows: a .cmd that runs Electron as Node with every argument.
    const cmd = launcherScript('win32', { runtime: 'C:\\A P\\Auth Pool.exe', cli: 'C:\\A P\\cli.js', statusline: 'x' })
    expect(cmd.name).toBe('auth-pool.cmd')
    expect(cmd.text).toBe(
      '@echo off\r\nrem The auth-pool command of the Auth Pool app, installed by Auth Pool.\r\nsetlocal\r\nset ELECTRON_RUN_AS_NODE=1\r\n"C:\\A P\\Auth Pool.exe" "C:\\A P\\cli.js" %*\r\n',
    )
  })

  it('goes into a folder on PATH, never over an auth-pool of someone else, and says what to add to PATH otherwise', () => {
    const home = tempDir('home-')
    const local = join(home, '.local', 'bin')
    const personal = join(home, 'bin')
    // ~/.local/bin is on PATH but missing: it is made, and the command works from there.
    const onPath = installCommand({ platform: 'linux', env: { PATH: local }, homedir: home, runtime: BUILT })
    expect(onPath).toEqual({
      path: join(local, 'auth-pool'),
      message: `Installed ${join(local, 'auth-pool')}: open a new terminal and run \`auth-pool --help\`.`,
    })
    expect(fromPath(local, '--version').stdout).toBe(`${version}\n`)
    expect(installedCommand('linux', {}, home)).toBe(join(local, 'auth-pool'))
    // Someone else's auth-pool in ~/bin is left alone.
    const other = tempDir('home-')
    mkdirSync(join(other, 'bin'))
    writeFileSync(join(other, 'bin', 'auth-pool'), '#!/bin/sh\necho theirs\n', { mode: 0o755 })
    const beside = installCommand({
      platform: 'linux',
      env: { PATH: join(other, 'bin') },
      homedir: other,
      runtime: BUILT,
    })
    expect(readFileSync(join(other, 'bin', 'auth-pool'), 'utf8')).toBe('#!/bin/sh\necho theirs\n')
    expect(beside.path).toBe(join(other, '.local', 'bin', 'auth-pool'))
    expect(beside.message).toMatch(/which is not on your PATH yet: add `export PATH=".*\.local\/bin:\$PATH"`/)
    expect(installedCommand('linux', {}, personal)).toBeNull()
  })
})

describe("GNOME's tray", () => {
  it('is explained once on GNOME, where tray icons need the AppIndicator extension', () => {
    expect(needsTrayHint('linux', { XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' })).toBe(true)
    expect(needsTrayHint('linux', { XDG_CURRENT_DESKTOP: 'GNOME' })).toBe(true)
    expect(needsTrayHint('linux', { XDG_CURRENT_DESKTOP: 'KDE' })).toBe(false)
    expect(needsTrayHint('darwin', { XDG_CURRENT_DESKTOP: 'GNOME' })).toBe(false)
  })
})
