import { readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLAUDE } from '../../../test/helpers/claude'
import { appendLines, assistantLine } from '../../../test/helpers/transcripts'
import { CHANNELS, type Channel } from '../../shared/ipc/channels'
import { nodeFileSystem } from '../system/nodePorts'
import { createUsageService } from '../usage/usageService'
import { accountDir, testEngine } from '../../../test/helpers/enginePorts'
import { tempDir } from '../../../test/helpers/tempDir'
import { createHandlers, type LauncherPort } from './handlers'
import { createRouter, senderOf, type IpcEventLike, type Sender } from './router'

const APP = { id: 1, url: 'file:///opt/auth-pool/out/renderer/index.html', isTopFrame: true }

function setup() {
  const usage = createUsageService({ indexDir: tempDir('idx-') })
  const t = testEngine({ usage })
  const launches: unknown[] = []
  /** What the stand-in file dialog returns. */
  const chosen: { path: string | null } = { path: null }
  const launcher: LauncherPort = {
    launch: async (request) => (launches.push(request), { launched: true, message: 'ok' }),
    login: async () => ({ started: true, message: 'ok' }),
  }
  const router = createRouter({
    handlers: createHandlers({
      engine: t.engine,
      usage,
      fs: nodeFileSystem,
      launcher,
      chooseFile: async () => chosen.path,
      findProgram: (name) => (name === 'konsole' ? '/usr/bin/konsole' : undefined),
      home: tempDir('home-'),
      executable: '/opt/auth-pool/bin/auth-pool',
      desktop: {
        status: () => ({ startAtLogin: false, commandPath: null }),
        setStartAtLogin: () => undefined,
        installCommand: () => ({ path: null, message: 'not here' }),
      },
    }),
    isTrustedSender: (s: Sender) => s.id === APP.id && s.isTopFrame && s.url === APP.url,
  })
  return { ...t, router, launches, chosen }
}

describe('IPC router', () => {
  it('answers a valid call with ok and the contract-shaped value', async () => {
    const { router } = setup()
    const dir = accountDir()
    const added = await router.handle('accounts:add', { name: 'work', configDir: dir, plan: 'max5' }, APP)
    expect(added).toMatchObject({ ok: true, value: { name: 'work', configDir: dir } })
    const status = await router.handle('pool:status', undefined, APP)
    expect(status.ok && (status.value as { accounts: unknown[] }).accounts).toHaveLength(1)
    const metrics = await router.handle('pool:metrics', undefined, APP)
    expect(metrics).toMatchObject({ ok: true, value: { allocations: 0, reconcile: { runs: 0 } } })
  })

  it('returns field errors for an invalid payload, from the contract and from the engine', async () => {
    const { router } = setup()
    expect(await router.handle('accounts:add', { name: '', configDir: 42 }, APP)).toMatchObject({
      ok: false,
      error: {
        code: 'VALIDATION',
        issues: expect.arrayContaining([
          expect.objectContaining({ path: ['name'] }),
          expect.objectContaining({ path: ['configDir'] }),
        ]),
      },
    })
    expect(await router.handle('accounts:add', { name: 'x', configDir: '/definitely/not/here' }, APP)).toMatchObject({
      ok: false,
      error: {
        code: 'VALIDATION',
        issues: [{ path: ['configDir'], message: expect.stringMatching(/does not exist/) }],
      },
    })
    expect(
      await router.handle(
        'rules:save',
        { id: 'r', kind: 'usage_threshold', window: '5h', enabled: true, accounts: 'all' },
        APP,
      ),
    ).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', issues: [{ path: ['percent'] }] },
    })
    expect(await router.handle('pool:allocate', { cwd: '/x', extra: true }, APP)).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION' },
    })
  })

  it('rejects unknown channels and untrusted senders without calling anything', async () => {
    const { router, launches } = setup()
    expect(await router.handle('shell:exec', {}, APP)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } })
    expect(await router.handle(42, {}, APP)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } })
    for (const sender of [
      { ...APP, url: 'https://evil.example/' },
      { ...APP, isTopFrame: false },
      { ...APP, id: 2 },
    ]) {
      expect(await router.handle('launcher:launch', {}, sender)).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      })
    }
    expect(launches).toEqual([])
  })

  it('maps engine errors to typed results instead of throwing', async () => {
    const { router } = setup()
    expect(await router.handle('pool:allocate', { account: 'ghost' }, APP)).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', message: expect.stringMatching(/ghost/) },
    })
    expect(
      await router.handle('sessions:end', { sessionId: '3f1c6a52-2f8f-4a43-9a57-3c9a2c7a9d11' }, APP),
    ).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })

  it('registers every channel with ipcMain and reads the sender from the event', async () => {
    const { router } = setup()
    const registered = new Map<string, (event: IpcEventLike, payload: unknown) => unknown>()
    router.bindIpcMain({ handle: (channel, listener) => void registered.set(channel, listener) })
    expect([...registered.keys()]).toEqual([...CHANNELS])
    const event: IpcEventLike = { sender: { id: 1 }, senderFrame: { url: APP.url, parent: null } }
    expect(senderOf(event)).toEqual(APP)
    expect(await registered.get('rules:list')!(event, undefined)).toMatchObject({ ok: true })
    const framed: IpcEventLike = { sender: { id: 1 }, senderFrame: { url: APP.url, parent: {} } }
    expect(await registered.get('rules:list')!(framed, undefined)).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    })
  })

  it('refuses an over-long string, a huge list or a missing folder on every channel that takes one, storing nothing', async () => {
    const { router, home, launches } = setup()
    const dir = accountDir()
    await router.handle('accounts:add', { name: 'work', configDir: dir }, APP)
    const stateSize = () => readFileSync(join(home, 'state.json')).length
    const before = stateSize()
    const long = 'x'.repeat(10 * 1024 * 1024)
    const missing = join(dir, 'not-here')
    const uuid = '3f1c6a52-2f8f-4a43-9a57-3c9a2c7a9d11'
    const refused: [Channel, unknown][] = [
      ['pool:allocate', { cwd: long }],
      ['pool:allocate', { cwd: missing }],
      ['pool:allocate', { cwd: 'a\nb' }],
      ['pool:allocate', { account: long }],
      ['pool:setPreferred', { account: long }],
      ['accounts:add', { name: 'x', configDir: long }],
      ['accounts:add', { name: long, configDir: dir }],
      ['accounts:update', { account: long, patch: {} }],
      ['accounts:update', { account: 'work', patch: { configDir: long } }],
      ['accounts:remove', { account: long }],
      ['accounts:identity', { account: long }],
      ['accounts:login', { account: long }],
      ['accounts:statusLine', { account: long, on: true }],
      ['accounts:statusLine', { account: 'work', on: 'yes' }],
      ['desktop:setStartAtLogin', { on: 'yes' }],
      ['sessions:list', { account: long }],
      ['sessions:end', { sessionId: long }],
      ['usage:get', { account: long }],
      ['rules:save', { id: long, kind: 'limit_reached', enabled: true, accounts: 'all' }],
      ['rules:save', { id: 'r', kind: 'limit_reached', enabled: true, accounts: Array(1000).fill(uuid) }],
      ['rules:delete', { id: long }],
      [
        'settings:update',
        { pricing: { [long]: { input: 1, output: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1 } } },
      ],
      ['settings:update', { claudePath: '/bin/sh' }],
      ['settings:update', { terminalCommand: 'sh -c {command}' }],
      ['settings:setTerminal', { terminal: long }],
      ['settings:setTerminal', { terminal: 'sh -c {command}' }],
      ['settings:setTerminal', { terminal: '/tmp/evil/konsolex -e {command}' }],
      ['launcher:launch', { cwd: missing }],
      ['launcher:launch', { cwd: long }],
      ['launcher:launch', { account: long }],
    ]
    for (const [channel, input] of refused) {
      const result = await router.handle(channel, input, APP)
      expect(result, `${channel} ${JSON.stringify(input).slice(0, 80)}`).toMatchObject({ ok: false })
      expect(['VALIDATION', 'NOT_FOUND']).toContain((result as { error: { code: string } }).error.code)
    }
    expect(stateSize()).toBe(before)
    expect(launches).toEqual([])
    // Every channel that takes input was tried above, or takes none.
    const takesNothing = [
      'pool:status',
      'pool:metrics',
      'accounts:list',
      'rules:list',
      'notifications:list',
      'settings:get',
      'settings:terminals',
      'settings:chooseClaude',
      'desktop:status',
      'desktop:installCommand',
    ]
    expect(CHANNELS.filter((c) => !refused.some(([r]) => r === c) && !takesNothing.includes(c))).toEqual([])
    const settings = await router.handle('settings:update', { claudePath: '/bin/sh' }, APP)
    expect(settings).toMatchObject({
      error: { issues: [{ path: ['claudePath'], message: expect.stringMatching(/is chosen with Settings/) }] },
    })
  })

  it('sets the claude program only through the file dialog, and only to a claude that runs', async () => {
    const { router, chosen } = setup()
    chosen.path = '/bin/sh'
    expect(await router.handle('settings:chooseClaude', {}, APP)).toMatchObject({
      ok: false,
      error: {
        issues: [{ path: ['claudePath'], message: 'sh is not the claude program (a file named claude or claude.exe)' }],
      },
    })
    const notRunnable = join(tempDir(), 'claude')
    writeFileSync(notRunnable, '#!/bin/sh\n', { mode: 0o644 })
    chosen.path = notRunnable
    expect(await router.handle('settings:chooseClaude', {}, APP)).toMatchObject({
      ok: false,
      error: { issues: [{ message: `${notRunnable} may not be executed` }] },
    })
    chosen.path = realpathSync(CLAUDE)
    expect(await router.handle('settings:chooseClaude', {}, APP)).toMatchObject({
      ok: true,
      value: { claudePath: chosen.path },
    })
    chosen.path = null // cancelled: nothing changes
    expect(await router.handle('settings:chooseClaude', {}, APP)).toMatchObject({
      ok: true,
      value: { claudePath: realpathSync(CLAUDE), message: 'nothing chosen' },
    })
    expect(await router.handle('settings:chooseClaude', { reset: true }, APP)).toMatchObject({
      ok: true,
      value: { claudePath: null },
    })
  })

  it('sets the terminal to a known one, a template of a known one, or automatic', async () => {
    const { router } = setup()
    const terminals = await router.handle('settings:terminals', undefined, APP)
    expect(terminals).toMatchObject({
      ok: true,
      value: {
        current: null,
        terminals: expect.arrayContaining([
          { id: 'konsole', name: 'Konsole', available: true },
          { id: 'kitty', name: 'kitty', available: false },
        ]),
      },
    })
    for (const terminal of ['konsole', 'konsole --workdir {cwd} -e {command}'])
      expect(await router.handle('settings:setTerminal', { terminal }, APP)).toMatchObject({
        ok: true,
        value: { terminalCommand: terminal },
      })
    expect(await router.handle('settings:setTerminal', { terminal: 'konsole --workdir {cwd}' }, APP)).toMatchObject({
      ok: false,
      error: { issues: [{ message: expect.stringMatching(/needs \{command\}/) }] },
    })
    expect(await router.handle('settings:setTerminal', { terminal: 'auto' }, APP)).toMatchObject({
      ok: true,
      value: { terminalCommand: null },
    })
  })

  it('answers every view for an account whose transcripts name a model "constructor" or "__proto__"', async () => {
    const { router } = setup()
    const dir = accountDir()
    appendLines(
      join(dir, 'projects', '-p', 's.jsonl'),
      ['constructor', '__proto__', 'toString'].map((model, i) =>
        assistantLine({ time: new Date(Date.now() - (10 - i) * 60_000), model, input: 50_000, output: 5_000 }),
      ),
    )
    await router.handle('accounts:add', { name: 'work', configDir: dir }, APP)
    for (const [channel, input] of [
      ['pool:status', undefined],
      ['accounts:list', undefined],
      ['usage:get', { account: 'work' }],
    ] as const) {
      const result = await router.handle(channel, input, APP)
      expect(result, channel).toMatchObject({ ok: true })
    }
    const status = (await router.handle('pool:status', undefined, APP)) as {
      value: { accounts: { standing: { weekCostUsd: number } }[] }
    }
    expect(status.value.accounts[0]!.standing.weekCostUsd).toBeGreaterThan(0)
  })
})
