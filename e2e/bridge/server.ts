// The loopback bridge for the browser tests: the real engine, store and IPC router (through the same
// app core the tray app runs) in this Node process, the built renderer served on 127.0.0.1, and a
// window.api that forwards every contract call over HTTP and every event over server-sent events.
// Only Electron's transport is replaced. Usage: node --import tsx e2e/bridge/server.ts <home> <rendererDir>
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import { extname, join, normalize } from 'node:path'
import { createAppCore } from '../../src/main/appCore'
import { createTerminalLauncher } from '../../src/main/shell/launcherPort'
import { createStateStore } from '../../src/main/store/stateStore'
import { CONTENT_SECURITY_POLICY } from '../../src/main/shell/security'
import { CHANNELS, EVENTS } from '../../src/shared/ipc/channels'
import { createDesktop } from '../../src/main/desktop/desktop'
import { createLoginItem } from '../../src/main/desktop/loginItem'

const [home, rendererDir] = process.argv.slice(2)
if (!home || !rendererDir) throw new Error('usage: server.ts <home> <rendererDir>')

const BRIDGE = { id: 0, url: 'bridge', isTopFrame: true }
const core = createAppCore({
  home,
  store: createStateStore({ home: home }),
  // Headless: notifications are printed, as the CLI does.
  notifier: { notify: async (n) => void process.stderr.write(`notification: ${n.title}: ${n.body}\n`) },
  launcher: createTerminalLauncher({
    cliEntry: join(import.meta.dirname, '..', '..', 'out', 'main', 'cli.js'),
    execPath: process.execPath,
    terminalSetting: async () => (await core.engine.settings()).terminalCommand,
    defaultCwd: () => home,
  }),
  // No native dialog in a browser: the file a test "chooses" is named by AUTH_POOL_BRIDGE_CHOSEN_FILE.
  chooseFile: async () => process.env.AUTH_POOL_BRIDGE_CHOSEN_FILE ?? null,
  isTrustedSender: (sender) => sender === BRIDGE,
  // Start at login and the command on PATH as on Linux (plain files; the harness points HOME at a
  // temporary folder, so nothing reaches the real autostart folder or PATH).
  desktop: createDesktop({
    platform: 'linux',
    // Only the temporary HOME's ~/.local/bin is on this PATH: the command never lands in a real folder.
    env: { ...process.env, PATH: join(process.env.HOME!, '.local', 'bin') },
    homedir: process.env.HOME!,
    loginItem: createLoginItem({
      platform: 'linux',
      env: process.env,
      homedir: process.env.HOME!,
      command: { executable: process.execPath, args: [join(import.meta.dirname, '..', '..')] },
    }),
    runtime: {
      runtime: process.execPath,
      cli: join(import.meta.dirname, '..', '..', 'out', 'main', 'cli.js'),
      statusline: join(import.meta.dirname, '..', '..', 'out', 'main', 'statusline.js'),
    },
  }),
})

const API_SCRIPT = `(() => {
  const call = (channel) => async (input) => {
    const response = await fetch('/__bridge/ipc', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel, input }) })
    return response.json()
  }
  const api = {}
  for (const channel of ${JSON.stringify(CHANNELS)}) api[channel] = call(channel)
  const listeners = new Map()
  const source = new EventSource('/__bridge/events')
  for (const name of ${JSON.stringify(EVENTS)})
    source.addEventListener(name, (e) => { for (const l of listeners.get(name) ?? []) l(JSON.parse(e.data)) })
  api.on = (event, listener) => {
    if (!listeners.has(event)) listeners.set(event, new Set())
    listeners.get(event).add(listener)
    return () => listeners.get(event).delete(listener)
  }
  window.api = Object.freeze(api)
})()`

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}
const streams = new Set<ServerResponse>()
core.onEvent((event, payload) => {
  for (const res of streams) res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`)
})

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  if (url.pathname === '/__bridge/ipc' && req.method === 'POST') {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk))
    req.on('end', () => {
      const { channel, input } = JSON.parse(body) as { channel: string; input: unknown }
      void core.router.handle(channel, input ?? undefined, BRIDGE).then((result) => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(result))
      })
    })
    return
  }
  if (url.pathname === '/__bridge/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    res.write(': connected\n\n')
    streams.add(res)
    req.on('close', () => streams.delete(res))
    return
  }
  if (url.pathname === '/__bridge/api.js') {
    res.setHeader('content-type', 'text/javascript')
    res.end(API_SCRIPT)
    return
  }
  let file = join(rendererDir, normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, ''))
  if (!file.startsWith(rendererDir) || !existsSync(file) || statSync(file).isDirectory())
    file = join(rendererDir, 'index.html')
  res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream')
  if (file.endsWith('index.html')) {
    // window.api must exist before the app's module script runs: a classic script in <head> does that.
    res.end(readFileSync(file, 'utf8').replace('<head>', '<head><script src="/__bridge/api.js"></script>'))
    return
  }
  createReadStream(file).pipe(res)
})

await core.start()
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${address.port}/` }) + '\n')
})
// Stop by ourselves when the test process goes away.
process.stdin.on('end', () => void core.stop().finally(() => process.exit(0)))
process.stdin.resume()
