import { describe, expect, it } from 'vitest'
import { CHANNELS } from '../../shared/ipc/channels'
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
  const launcher: LauncherPort = {
    launch: async (request) => (launches.push(request), { launched: true, message: 'ok' }),
    login: async () => ({ started: true, message: 'ok' }),
  }
  const router = createRouter({
    handlers: createHandlers({ engine: t.engine, usage, fs: nodeFileSystem, launcher }),
    isTrustedSender: (s: Sender) => s.id === APP.id && s.isTopFrame && s.url === APP.url,
  })
  return { ...t, router, launches }
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
})
