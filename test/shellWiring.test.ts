// The tray app's composition root (out/main/index.js, as built) started against the recording stand-in for
// the `electron` module (test/helpers/electron/): what it asks of Electron, and what it does with a real
// state file. Real Electron runs it in e2e/electron.spec.ts, where a binary exists.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CHANNELS } from '../src/shared/ipc/channels'
import { StateDocumentSchema } from '../src/shared/schemas/state'
import { APP_ID } from '../src/main/shell/appId'
import { CONTENT_SECURITY_POLICY } from '../src/main/shell/security'
import { writeLogin } from './helpers/accounts'
import { ROOT, runCli } from './helpers/processes'
import { tempDir } from './helpers/tempDir'
import { appendLines, subscriptionLimitLine } from './helpers/transcripts'

type Message = { type: string } & Record<string, unknown>
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})

/** The app, started as Electron would start it; every call it makes of the stand-in arrives as a message. */
function startApp(env: NodeJS.ProcessEnv) {
  const child = spawn(
    process.execPath,
    ['--import', join(ROOT, 'test', 'helpers', 'electron', 'register.mjs'), join(ROOT, 'out', 'main', 'index.js')],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  )
  children.push(child)
  const messages: Message[] = []
  const waiting = new Set<() => void>()
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d))
  child.on('message', (m: Message) => {
    messages.push(m)
    for (const check of waiting) check()
  })
  /** The first message (from `from` on) that matches, once it has come; fails after 20 s with what did. */
  const next = (match: (m: Message) => boolean, what: string, from = 0) =>
    new Promise<Message>((resolve, reject) => {
      const check = () => {
        const found = messages.slice(from).find(match)
        if (!found) return
        waiting.delete(check)
        clearTimeout(timer)
        resolve(found)
      }
      const timer = setTimeout(() => {
        waiting.delete(check)
        reject(new Error(`${what}: not seen in 20 s; got ${messages.map((m) => m.type).join(', ')}; stderr: ${stderr}`))
      }, 20_000)
      waiting.add(check)
      check()
    })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, messages, next, exited, send: (command: object) => child.send(command) }
}

describe.skipIf(process.platform === 'win32')('the tray app, wired to the stand-in for Electron', () => {
  it('starts, builds the tray from the state file, serves the dashboard safely, notifies, and quits cleanly', async () => {
    const root = tempDir('shell-')
    const home = join(root, 'home')
    const env = {
      AUTH_POOL_HOME: home,
      HOME: root,
      XDG_CONFIG_HOME: join(root, '.config'),
      XDG_CURRENT_DESKTOP: 'ubuntu:GNOME',
      PATH: process.env.PATH ?? '',
    }
    for (const name of ['work', 'personal']) {
      const dir = join(root, name)
      mkdirSync(dir)
      writeLogin(dir, `${name}@example.com`)
      expect((await runCli(['accounts', 'add', '--name', name, '--config-dir', dir], env)).code).toBe(0)
    }
    // personal has just hit its limit: the rules raise a notification as the app starts.
    const resetsAt = Math.floor(Date.now() / 1000) + 2 * 3600
    appendLines(join(root, 'personal', 'projects', '-work', 'limit.jsonl'), [
      subscriptionLimitLine(new Date(), resetsAt),
    ])

    const app = startApp(env)
    const seen = (type: string) => app.next((m) => m.type === type, type)
    expect(await seen('app.setAppUserModelId')).toMatchObject({ id: APP_ID })
    await seen('app.requestSingleInstanceLock')
    expect(await seen('protocol.registerSchemesAsPrivileged')).toMatchObject({
      schemes: [{ scheme: 'app', privileges: { standard: true, secure: true } }],
    })
    // Every permission a page could ask for is refused.
    expect(await seen('session.permissionRequest')).toMatchObject({ granted: false })
    expect(await seen('session.permissionCheck')).toMatchObject({ granted: false })
    expect(await seen('protocol.handle')).toMatchObject({ scheme: 'app' })
    // The tray, with the state file's accounts.
    const menu = await app.next(
      (m) => m.type === 'tray.setContextMenu' && (m.labels as string[]).some((l) => l.startsWith('personal — limited')),
      'the tray menu with the accounts',
    )
    const labels = menu.labels as string[]
    expect(labels).toContain('Open dashboard')
    expect(labels.find((l) => l.startsWith('work — '))).toMatch(/^work — 5h ≈0% · week ≈0%/)
    expect(labels).toContain('Install the auth-pool command…')
    const handled = app.messages.filter((m) => m.type === 'ipcMain.handle').map((m) => m.channel)
    expect(handled).toEqual([...CHANNELS])
    // The first start asks about starting at login once; yes writes the autostart entry.
    expect(await seen('dialog.showMessageBox')).toMatchObject({ message: 'Start Auth Pool when you log in?' })
    const autostart = join(root, '.config', 'autostart', 'auth-pool.desktop')
    await app.next((m) => m.type === 'tray.setContextMenu' && (m.labels as string[]).includes('Start at login'), 'menu')
    // A native notification for the rule that fired, and the GNOME tray note.
    expect(
      await app.next((m) => m.type === 'notification.show' && m.title === 'personal reached its limit', 'limit'),
    ).toBeTruthy()
    expect(
      await app.next((m) => m.type === 'notification.show' && m.title === 'Auth Pool is running', 'GNOME note'),
    ).toMatchObject({ body: expect.stringMatching(/AppIndicator extension/) })
    expect(readFileSync(autostart, 'utf8')).toContain(`Exec=${process.execPath}`)
    // The launcher an account's status line runs is kept beside the state.
    expect(statSync(join(home, 'bin', 'auth-pool')).mode & 0o111).not.toBe(0)

    // The dashboard: a sandboxed window on the app scheme, its pages served with the strict CSP.
    const before = app.messages.length
    app.send({ do: 'click', label: 'Open dashboard' })
    expect(await app.next((m) => m.type === 'window.new', 'the window', before)).toMatchObject({
      webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true },
    })
    expect(await app.next((m) => m.type === 'window.openHandler', 'new windows', before)).toMatchObject({
      action: 'deny',
    })
    expect(await app.next((m) => m.type === 'window.loadURL', 'the page', before)).toMatchObject({
      url: 'app://dashboard/index.html',
    })
    app.send({ do: 'app', url: 'app://dashboard/index.html' })
    expect(await seen('app.response')).toMatchObject({ status: 200, csp: CONTENT_SECURITY_POLICY })
    app.send({ do: 'app', url: 'app://dashboard/%2e%2e%2fmain%2findex.js' })
    expect(
      await app.next((m) => m.type === 'app.response' && m.status === 404, 'a path out of the renderer'),
    ).toBeTruthy()
    // The IPC router answers the window's own frame.
    app.send({ do: 'ipc', channel: 'pool:status', input: undefined })
    const status = (await seen('ipc.result')).result as { ok: boolean; value: { accounts: { name: string }[] } }
    expect(status.ok).toBe(true)
    expect(status.value.accounts.map((a) => a.name)).toEqual(['work', 'personal'])

    // Start at login, off from the tray: the entry goes.
    app.send({ do: 'click', label: 'Start at login' })
    await app.next((m) => m.type === 'tray.setContextMenu' && !existsSync(autostart), 'the entry removed')

    // Quit: the tray and window go, the scheduler and watches stop, the store is flushed, the process ends by itself.
    app.send({ do: 'quit' })
    await seen('tray.destroy')
    await seen('window.destroy')
    expect(await app.exited).toBe(0)
    const doc = StateDocumentSchema.parse(JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')))
    expect(doc.notifications.map((n) => [n.title, n.delivery])).toContainEqual([
      'personal reached its limit',
      'delivered',
    ])
    expect(JSON.parse(readFileSync(join(home, 'preferences.json'), 'utf8'))).toMatchObject({
      launchAtLogin: false,
      trayHintShown: true,
    })
  }, 60_000)
})
