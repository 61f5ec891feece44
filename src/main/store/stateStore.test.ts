import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../shared/errors'
import { StateDocumentSchema, type Recovery, type StateDraft } from '../../shared/schemas/state'
import { tempDir } from '../../../test/helpers/tempDir'
import { accountRecord } from '../../../test/helpers/accounts'
import { ROOT } from '../../../test/helpers/processes'
import { confOptions, schemaFingerprint, serializeState } from './backend'
import unusedDefault, { Ajv2020 } from './confUnused'
import { createConfBackend } from './confBackend'
import { StoreVersionError } from './errors'
import { acquireFileLock } from './fileLock'
import { createStateStore } from './stateStore'

const ACCOUNT = accountRecord({
  id: '5b0c6a52-2f8f-4a43-9a57-3c9a2c7a9d11',
  name: 'work',
  configDir: '/home/dev/.claude-work',
})

function storeIn(home: string, backupIntervalMs = 0) {
  return createStateStore({ backend: createConfBackend(home), backupIntervalMs })
}

function readFile(home: string) {
  return JSON.parse(readFileSync(join(home, 'state.json'), 'utf8'))
}

describe('state store', () => {
  it('creates the file with owner-only permissions and validates it on the way out', async () => {
    const home = join(tempDir(), 'nested', 'home')
    const store = storeIn(home)
    await store.transact((d) => {
      d.accounts.push({ ...ACCOUNT })
      d.sessionIndex[ACCOUNT.id] = []
    })
    expect(statSync(join(home, 'state.json')).mode & 0o777).toBe(0o600)
    expect(statSync(home).mode & 0o777).toBe(0o700)
    const onDisk = StateDocumentSchema.parse(readFile(home))
    expect(onDisk.accounts.map((a) => a.name)).toEqual(['work'])
    expect(onDisk.revision).toBe(1)
  })

  it('keeps version, revision and commit at the head of the file', async () => {
    const home = tempDir()
    await storeIn(home).transact((d) => void (d.preferredAccountId = null))
    expect(readFileSync(join(home, 'state.json'), 'utf8')).toMatch(/^\{"version":1,"revision":1,"commit":"[a-z0-9]+",/)
  })

  it('trusts a file its digest vouches for without validating it again, and validates any edited file', async () => {
    const home = tempDir()
    const a = storeIn(home)
    await a.transact((d) => void (d.settings.rebalanceIntervalSec = 10))
    const path = join(home, 'state.json')
    expect(readFileSync(path, 'utf8')).toMatch(
      /^\{"version":1,"revision":1,"commit":"[a-z0-9]+","digest":"[0-9a-f]{40}",/,
    )
    const b = storeIn(home)
    expect((await b.read()).settings.rebalanceIntervalSec).toBe(10)
    expect(b.metrics().verifiedReads).toBe(1)
    expect('digest' in (await b.read())).toBe(false)
    // A valid edit by hand keeps the old digest: it no longer matches, so the file is validated (and used).
    writeFileSync(path, readFileSync(path, 'utf8').replace('"rebalanceIntervalSec":10', '"rebalanceIntervalSec":30'))
    const c = storeIn(home)
    expect((await c.read()).settings.rebalanceIntervalSec).toBe(30)
    expect(c.metrics().verifiedReads).toBe(0)
    // An invalid one is caught by that validation, not trusted.
    writeFileSync(path, readFileSync(path, 'utf8').replace('"rebalanceIntervalSec":30', '"rebalanceIntervalSec":-1'))
    const d = storeIn(home)
    expect((await d.read()).settings.rebalanceIntervalSec).not.toBe(-1)
    expect(d.metrics().recoveries).toBe(1)
  })

  it('does not trust a digest made under another schema: that file is validated, then written under this one', async () => {
    const home = tempDir()
    await storeIn(home).transact((d) => void (d.settings.rebalanceIntervalSec = 10))
    const path = join(home, 'state.json')
    // The same document with a digest made under another schema's fingerprint (an older or newer Auth Pool).
    const { digest: _digest, ...doc } = readFile(home)
    writeFileSync(
      path,
      serializeState(
        doc,
        schemaFingerprint().replace(/^./, (c) => (c === '0' ? '1' : '0')),
      ),
    )
    expect(readFile(home).digest).toMatch(/^[0-9a-f]{40}$/)
    const other = storeIn(home)
    expect((await other.read()).settings.rebalanceIntervalSec).toBe(10)
    expect(other.metrics().verifiedReads).toBe(0)
    await other.transact(() => undefined) // not this writer's: written back even though nothing changed
    const later = storeIn(home)
    await later.read()
    expect(later.metrics().verifiedReads).toBe(1)
  })

  it('asks conf for none of the features the build leaves out of it, which fail loudly if reached', () => {
    // electron.vite.config.ts replaces ajv, ajv-formats and semver with confUnused.ts in the bundles:
    // conf loads them only for a schema, rootSchema or ajvOptions (validation) or migrations option.
    const options: Record<string, unknown> = confOptions(tempDir())
    for (const key of ['schema', 'rootSchema', 'ajvOptions', 'migrations']) expect(options[key]).toBeUndefined()
    expect(() => new Ajv2020()).toThrow(/conf tried to use ajv.*confUnused/)
    expect(() => (unusedDefault as { satisfies: () => void }).satisfies()).toThrow(/semver \(satisfies\)/)
  })

  it('writes nothing for a transaction that changes nothing, but creates the file and rewrites an edited one', async () => {
    const home = tempDir()
    const path = join(home, 'state.json')
    const store = storeIn(home, 60_000)
    await store.transact(() => undefined) // no file yet: this one creates it
    expect(readFile(home).revision).toBe(1)
    const written = readFileSync(path, 'utf8')
    expect(await store.transact((d) => d.accounts.length)).toBe(0)
    await store.transact((d) => void (d.settings.rebalanceIntervalSec = d.settings.rebalanceIntervalSec)) // same value
    expect(readFileSync(path, 'utf8')).toBe(written)
    expect(store.metrics().commits).toBe(1)
    // Another process finds nothing to write either, and keeps what it loaded for its next transaction.
    const other = storeIn(home)
    await other.transact((d) => d.revision)
    await other.transact((d) => d.revision)
    expect(readFileSync(path, 'utf8')).toBe(written)
    expect(other.metrics()).toMatchObject({ cacheMisses: 1, cacheHits: 1, commits: 0 })
    // A change is written, of course.
    await store.transact((d) => void (d.settings.rebalanceIntervalSec = 30))
    expect(readFile(home)).toMatchObject({ revision: 2, settings: { rebalanceIntervalSec: 30 } })
    // A file edited by hand (valid, its digest no longer matching) is written back whole by the next
    // transaction, though it changes nothing: from then on it is trusted again without validation.
    writeFileSync(path, readFileSync(path, 'utf8').replace('"rebalanceIntervalSec":30', '"rebalanceIntervalSec":40'))
    const next = storeIn(home)
    await next.transact(() => undefined)
    expect(readFile(home)).toMatchObject({ revision: 3, settings: { rebalanceIntervalSec: 40 } })
    const later = storeIn(home)
    await later.read()
    expect(later.metrics().verifiedReads).toBe(1)
  })

  it('a transaction that throws leaves no trace, and its neighbours in the batch still commit', async () => {
    const home = tempDir()
    const store = storeIn(home)
    const results = await Promise.allSettled([
      store.transact((d) => void (d.settings.rebalanceIntervalSec = 120)),
      store.transact((d) => {
        d.settings.nearLimitRatio = 0.5 // half-done mutation, then a failure
        throw new Error('boom')
      }),
      store.transact((d) => void (d.settings.sessionTtlHours = 48)),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    const state = await store.read()
    expect(state.settings.rebalanceIntervalSec).toBe(120)
    expect(state.settings.sessionTtlHours).toBe(48)
    expect(state.settings.nearLimitRatio).toBe(0.9)
    expect(readFile(home).settings.nearLimitRatio).toBe(0.9)
  })

  it('refuses a transaction that changes a session or an index in place (drafts share them), and keeps the state as it was', async () => {
    const home = tempDir()
    const id = '0d7c9f4e-3b1a-4c55-8e2f-6a9b8c7d6e5f'
    const session = {
      id,
      accountId: ACCOUNT.id,
      cwd: '/home/dev/project',
      pid: null,
      startedAt: '2026-11-27T10:00:00.000Z',
      endedAt: null,
      status: 'active' as const,
      endReason: null,
    }
    await storeIn(home).transact((d) => {
      d.accounts.push({ ...ACCOUNT })
      d.sessions[id] = session
      d.sessionIndex[ACCOUNT.id] = [id]
    })
    const written = readFileSync(join(home, 'state.json'), 'utf8')
    // A fresh store (the file parsed) and the same store again (its own commit cached) share entries alike.
    const store = storeIn(home)
    for (let round = 0; round < 2; round++) {
      const results = await Promise.allSettled([
        // The types forbid both (the entries are read-only); this checks the run time does too.
        store.transact((d) => void ((d.sessions[id] as { status: string }).status = 'ended')),
        store.transact((d) => void (d.sessionIndex[ACCOUNT.id] as string[]).push(id)),
        store.transact((d) => void (d.settings.rebalanceIntervalSec = 100 + round)),
      ])
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled'])
      for (const r of results.slice(0, 2))
        expect(String((r as PromiseRejectedResult).reason)).toMatch(/read.only|not extensible/)
      const state = await store.read()
      expect(state.sessions[id]).toEqual(session)
      expect(state.sessionIndex[ACCOUNT.id]).toEqual([id])
      expect(readFile(home).sessions[id]).toEqual(session)
    }
    // Replacing the entry is the way to change it.
    await store.transact(
      (d) => void (d.sessions[id] = { ...d.sessions[id]!, status: 'ended', endedAt: session.startedAt }),
    )
    expect(readFile(home).sessions[id].status).toBe('ended')
    expect(readFileSync(join(home, 'state.json'), 'utf8')).not.toBe(written)
  })

  it('rejects a mutation that breaks the schema with field paths, and writes nothing of it', async () => {
    const home = tempDir()
    const store = storeIn(home)
    await store.transact((d) => void (d.settings.rebalanceIntervalSec = 30))
    const bad = store.transact((d) => {
      d.sessionIndex['5b0c6a52-2f8f-4a43-9a57-3c9a2c7a9d11'] = ['not-a-session']
    })
    const good = store.transact((d) => void (d.settings.rebalanceIntervalSec = 90))
    const error = await bad.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues[0]!.path[0]).toBe('sessionIndex')
    await good
    expect(readFile(home).sessionIndex).toEqual({})
    expect(readFile(home).settings.rebalanceIntervalSec).toBe(90)
  })

  it('groups concurrent transactions into few writes without losing any (1000 in one process)', async () => {
    const home = tempDir()
    const store = storeIn(home)
    await store.transact((d) => {
      d.accounts.push({ ...ACCOUNT })
      d.sessionIndex[ACCOUNT.id] = []
    })
    const before = store.metrics().commits
    const results = await Promise.all(
      Array.from({ length: 1000 }, () =>
        store.transact((d) => {
          d.accounts[0]!.sessionsStarted += 1
          return d.accounts[0]!.sessionsStarted
        }),
      ),
    )
    expect(new Set(results).size).toBe(1000)
    expect(readFile(home).accounts[0].sessionsStarted).toBe(1000)
    const writes = store.metrics().commits - before
    expect(writes).toBeGreaterThan(0)
    expect(writes).toBeLessThanOrEqual(4) // 256 per batch at most
  })

  it('refuses an asynchronous transaction function', async () => {
    const store = storeIn(tempDir())
    await expect(store.transact(async () => 1)).rejects.toThrow(/synchronous/)
  })

  it('serves unchanged state from its cache and sees another writer at once', async () => {
    const home = tempDir()
    const a = storeIn(home)
    const b = storeIn(home)
    await a.transact((d) => void (d.settings.rebalanceIntervalSec = 10))
    await a.read()
    await a.read()
    expect(a.metrics().cacheHits).toBeGreaterThanOrEqual(2)
    await b.transact((d) => void (d.settings.rebalanceIntervalSec = 20))
    const { cacheMisses, deltaReads } = a.metrics()
    expect((await a.read()).settings.rebalanceIntervalSec).toBe(20)
    // b's commit was made on a's: a applies its delta (delta.test.ts) rather than parsing the file.
    expect(a.metrics()).toMatchObject({ cacheMisses, deltaReads: deltaReads + 1 })
  })

  it('shares one load between concurrent readers', async () => {
    const home = tempDir()
    await storeIn(home).transact((d) => void (d.settings.rebalanceIntervalSec = 10))
    const store = storeIn(home)
    const snapshots = await Promise.all(Array.from({ length: 50 }, () => store.read()))
    expect(new Set(snapshots).size).toBe(1)
    expect(store.metrics().cacheMisses).toBe(1)
  })
})

describe('corrupt state files', () => {
  const cases: [string, string][] = [
    ['garbage', '\u0000\u0001 this is not json at all'],
    ['truncated JSON', '{"version":1,"revision":3,"commit":"abc","accounts":[{"id":"5b0c'],
    ['a wrong schema', JSON.stringify({ version: 1, revision: 2, commit: 'x', accounts: 'nope' })],
    ['an empty file', ''],
  ]
  for (const [label, content] of cases) {
    it(`moves ${label} aside, restores the last good backup and says so`, async () => {
      const home = tempDir()
      const good = storeIn(home)
      await good.transact((d) => {
        d.accounts.push({ ...ACCOUNT })
        d.sessionIndex[ACCOUNT.id] = []
      })
      writeFileSync(join(home, 'state.json'), content)
      const store = storeIn(home)
      const recoveries: Recovery[] = []
      store.onDidRecover((r) => recoveries.push(r))
      const state = await store.read()
      expect(state.accounts.map((a) => a.name)).toEqual(['work'])
      expect(recoveries).toHaveLength(1)
      expect(recoveries[0]!.restoredFrom).toBe('backup')
      expect(recoveries[0]!.reason).toMatch(label === 'a wrong schema' ? /schema/ : /JSON|schema/)
      expect(readFileSync(recoveries[0]!.movedAsideTo, 'utf8')).toBe(content)
      const onDisk = StateDocumentSchema.parse(readFile(home))
      expect(onDisk.recoveries).toHaveLength(1)
      expect(onDisk.accounts).toHaveLength(1)
    })
  }

  it('refreshes the backup at most once per interval across processes, going by the backup file’s age', async () => {
    const home = tempDir()
    const backup = join(home, 'state.json.bak')
    const revisionInBackup = () => JSON.parse(readFileSync(backup, 'utf8')).revision as number
    await storeIn(home, 60_000).transact((d) => void (d.settings.rebalanceIntervalSec = 10))
    expect(revisionInBackup()).toBe(1)
    // A launcher's process starts with no memory of that backup: its commit leaves the fresh one alone.
    await storeIn(home, 60_000).transact((d) => void (d.settings.rebalanceIntervalSec = 20))
    expect(revisionInBackup()).toBe(1)
    // Once the backup is older than the interval, the next commit (any process's) refreshes it.
    const old = new Date(Date.now() - 61_000)
    utimesSync(backup, old, old)
    await storeIn(home, 60_000).transact((d) => void (d.settings.rebalanceIntervalSec = 30))
    expect(revisionInBackup()).toBe(3)
    // A backup dated in the future (the clock was set back) does not stop the refreshes.
    const future = new Date(Date.now() + 3_600_000)
    utimesSync(backup, future, future)
    await storeIn(home, 60_000).transact((d) => void (d.settings.rebalanceIntervalSec = 40))
    expect(revisionInBackup()).toBe(4)
  })

  it('starts empty, keeping the corrupt file, when there is no usable backup', async () => {
    const home = tempDir()
    await storeIn(home, 60_000).transact((d) => void (d.settings.rebalanceIntervalSec = 10))
    writeFileSync(join(home, 'state.json.bak'), '{ also broken')
    writeFileSync(join(home, 'state.json'), '{ broken')
    const store = storeIn(home)
    let recovery: Recovery | undefined
    store.onDidRecover((r) => (recovery = r))
    await store.transact((d) => void (d.settings.rebalanceIntervalSec = 15))
    expect(recovery?.restoredFrom).toBe('empty')
    expect(readdirSync(home).filter((n) => n.includes('.corrupt-'))).toHaveLength(1)
    expect(readFile(home).settings.rebalanceIntervalSec).toBe(15)
  })

  it('leaves a file from a newer Auth Pool untouched and says to update', async () => {
    const home = tempDir()
    const newer = JSON.stringify({ version: 99, revision: 1, commit: 'a', whatever: true })
    writeFileSync(join(home, 'state.json'), newer)
    const store = storeIn(home)
    await expect(store.transact(() => 1)).rejects.toBeInstanceOf(StoreVersionError)
    await expect(store.read()).rejects.toThrow(/version 99.*update Auth Pool/)
    expect(readFileSync(join(home, 'state.json'), 'utf8')).toBe(newer)
  })

  it('migrates an older document', async () => {
    const home = tempDir()
    const current = storeIn(home)
    await current.transact((d) => void (d.settings.rebalanceIntervalSec = 10))
    const v1 = readFile(home)
    // Pretend the file predates a field: version 0 had no `recoveries`.
    const { recoveries: _dropped, ...v0 } = { ...v1, version: 0 }
    writeFileSync(join(home, 'state.json'), JSON.stringify(v0))
    const store = createStateStore({
      backend: createConfBackend(home),
      migrations: { 0: (doc) => ({ ...doc, recoveries: [] }) },
    })
    expect((await store.read()).settings.rebalanceIntervalSec).toBe(10)
    await store.transact(() => undefined)
    expect(readFile(home).version).toBe(1)
  })

  it('sweeps temp files a killed writer left behind', async () => {
    const home = tempDir()
    await storeIn(home).transact(() => undefined)
    const stale = join(home, 'state.json.tmp-123-old')
    writeFileSync(stale, 'half')
    const { utimesSync } = await import('node:fs')
    utimesSync(stale, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
    await storeIn(home).transact(() => undefined)
    expect(existsSync(stale)).toBe(false)
  })
})

describe('group commit across processes', () => {
  // Two stores on one file behave as two processes: the lock and the request files are all on disk.
  const note = {
    parseInput: (input: unknown) => {
      if (typeof input !== 'string' || input === 'bad') throw ValidationError.field('input', 'not a note')
      return input
    },
    run: (d: StateDraft, input: string, id: string, at: Date) => {
      d.recoveries.push({ at: at.toISOString(), reason: `${id}:${input}`, movedAsideTo: '-', restoredFrom: 'empty' })
      return { by: process.pid, note: input, count: d.recoveries.length }
    },
    applied: (doc: { recoveries: readonly Recovery[] }, id: string) =>
      doc.recoveries.some((r) => r.reason.startsWith(`${id}:`)),
    parseValue: (value: unknown) => value as { by: number; note: string; count: number },
  }
  const id = (n: number) => `0000000${n}-aaaa-4aaa-8aaa-aaaaaaaaaaaa`
  const tick = () => new Promise((resolve) => setTimeout(resolve, 30))

  function twoProcesses() {
    const home = tempDir()
    const a = storeIn(home)
    const b = storeIn(home)
    a.defineOperation('note', note)
    b.defineOperation('note', note)
    return { home, a, b, lockPath: join(home, 'state.json.lock') }
  }

  it('commits requests waiting for the lock in the holder’s own write, and passes rejections on', async () => {
    const { home, a, b, lockPath } = twoProcesses()
    await a.transact(() => undefined) // the file exists
    const before = readFile(home).revision
    const held = await acquireFileLock(lockPath)
    const first = a.transact((d) => d.recoveries.length) // queued first: it will hold the lock next
    await tick()
    const served = b.submit('note', id(1), 'hello', new Date('2026-11-27T10:00:00Z'))
    const refused = b.submit('note', id(2), 'bad', new Date('2026-11-27T10:00:00Z'))
    await tick()
    held.release()
    await first
    expect(await served).toMatchObject({ note: 'hello', count: 1 })
    await expect(refused).rejects.toMatchObject({ code: 'VALIDATION', message: 'input: not a note' })
    expect(a.metrics().servedForOthers).toBe(2)
    expect(b.metrics().servedByOthers).toBe(2)
    expect(readFile(home).revision).toBe(before + 1) // one write for all three
    expect(readFile(home).recoveries.map((r: Recovery) => r.reason)).toEqual([`${id(1)}:hello`])
    // Nothing left behind but the commit's marker (kept a minute for late waiters), in a folder of its own.
    expect(readdirSync(`${join(home, 'state.json')}.req`)).toEqual(['ok'])
    expect(readdirSync(`${join(home, 'state.json')}.req/ok`)).toEqual([readFile(home).commit])
  })

  /** A transaction that records `reason` (recoveries are a list any test may append to). */
  const record = (reason: string) => (d: StateDraft) =>
    void d.recoveries.push({ at: new Date().toISOString(), reason, movedAsideTo: '-', restoredFrom: 'empty' })

  it('goes on committing what its callers queue, serving the other process’s requests, without waking every waiter each time', async () => {
    const { home, a, b } = twoProcesses()
    await b.transact(() => undefined) // the file exists
    await b.flush() // (and b has woken whoever waits)
    const { revision } = readFile(home)
    // A request nobody here can run (another version's): its file is what a holder touches to wake it.
    const dir = `${join(home, 'state.json')}.req`
    const foreign = join(dir, `${id(5)}.json`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      foreign,
      JSON.stringify({ id: id(5), kind: 'newer', pid: process.pid, at: new Date().toISOString(), input: 'x' }),
    )
    const old = new Date(Date.now() - 60_000)
    utimesSync(foreign, old, old)
    let served: Promise<unknown> | undefined
    let touchedMeanwhile = false
    for (let i = 0; i < 10; i++) {
      // The other process asks between two of this one's commits.
      if (i === 3) served = b.submit('note', id(1), 'meanwhile', new Date())
      await a.transact(record(`a${i}`))
      touchedMeanwhile ||= statSync(foreign).mtimeMs > old.getTime()
    }
    expect(await served).toMatchObject({ by: process.pid, note: 'meanwhile' })
    expect(b.metrics()).toMatchObject({ servedByOthers: 1, commits: 1 })
    const doc = readFile(home)
    expect(doc.revision - revision).toBe(10) // the request rode along in one of a's ten commits
    expect(doc.recoveries.map((r: Recovery) => r.reason)).toContain(`${id(1)}:meanwhile`)
    expect(a.metrics()).toMatchObject({ commits: 10, cacheMisses: 1 }) // the file parsed once
    // Nobody was woken while a's callers kept queuing; once they stop, every waiter is.
    expect(touchedMeanwhile).toBe(false)
    await a.flush()
    await new Promise((resolve) => setImmediate(resolve))
    expect(statSync(foreign).mtimeMs).toBeGreaterThan(old.getTime())
  })

  it('lets a plain transaction of another process go first between its commits', async () => {
    const { home, a, b } = twoProcesses()
    await b.transact(() => undefined) // the file exists
    const order: string[] = []
    let other: Promise<unknown> | undefined
    for (let i = 0; i < 20; i++) {
      if (i === 3) other = b.transact(record('b')).then(() => order.push('b'))
      await a.transact(record(`a${i}`))
      order.push(`a${i}`)
    }
    await other
    // b took its turn a commit or two after it asked, not after a's twenty.
    expect(order.indexOf('b')).toBeLessThan(8)
    expect(readFile(home).recoveries).toHaveLength(21)
  })

  it('keeps the lock through commits in a row while its callers and others ask, for keepLockMs at most', async () => {
    const { home, a, b, lockPath } = twoProcesses()
    await a.transact(() => undefined) // the file exists
    let asks = 0
    /**
     * The lock's owner as a's callers find it after each of `commits` commits, with b asking before each,
     * and how many commits b made itself; each of a's transactions takes `busyMs`.
     */
    async function ownersOver(store: ReturnType<typeof createStateStore>, commits: number, busyMs = 0) {
      const owners: (string | undefined)[] = []
      const asked: Promise<unknown>[] = []
      const commitsBefore = b.metrics().commits
      const ask = () => asked.push(b.submit('note', id(100 + asks++), 'n', new Date()))
      const busy = (d: StateDraft) => {
        const until = performance.now() + busyMs
        while (performance.now() < until); // a slow transaction
        record('a')(d)
      }
      // The first commit serves b's first request for certain: a holds the lock as b asks.
      const held = await acquireFileLock(lockPath)
      ask()
      let next = store.transact(busy)
      await tick()
      held.release()
      for (let i = 1; i <= commits; i++) {
        await next
        owners.push(existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : undefined)
        if (i === commits) break
        ask()
        next = store.transact(busy)
      }
      await Promise.all(asked)
      await store.flush()
      await b.flush()
      expect(existsSync(lockPath)).toBe(false) // let go once nothing more was asked
      return { owners, othersCommits: b.metrics().commits - commitsBefore }
    }
    // Taken once for ten commits; each of a's callers ran with it held.
    const { owners: kept, othersCommits } = await ownersOver(a, 10)
    expect(othersCommits).toBe(0) // every request rode along in a's commits
    expect(new Set(kept).size).toBe(1)
    expect(kept[0]).toMatch(new RegExp(`^${process.pid} `))
    // Released after every commit (before its callers run) when told to keep it not at all.
    const c = createStateStore({ backend: createConfBackend(home), keepLockMs: 0 })
    c.defineOperation('note', note)
    expect((await ownersOver(c, 5)).owners).toEqual([undefined, undefined, undefined, undefined, undefined])
    // Taken again once kept keepLockMs (a fresh owner line with its time: a lock held past staleMs
    // would be broken): 8 commits of 10 ms, 25 ms at most each time.
    const d = createStateStore({ backend: createConfBackend(home), keepLockMs: 25 })
    d.defineOperation('note', note)
    const owners = new Set((await ownersOver(d, 8, 10)).owners)
    owners.delete(undefined) // the commit that reached the limit
    expect(owners.size).toBeGreaterThanOrEqual(2)
    expect(owners.size).toBeLessThan(8)
    expect(readFile(home).recoveries).toHaveLength(2 * (10 + 5 + 8)) // a's and b's, every one
  })

  it('lets the lock go before its callers run when nobody else asks (a caller may do something slow)', async () => {
    const home = tempDir()
    const store = storeIn(home)
    for (let i = 0; i < 3; i++) {
      await store.transact(record(`r${i}`))
      expect(existsSync(join(home, 'state.json.lock'))).toBe(false)
    }
  })

  it('lets the lock go when its process exits while keeping it (a launcher prints its answer and exits)', () => {
    const home = tempDir()
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test', 'helpers', 'exitHoldingLock.ts'), home],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    )
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('true') // kept as its caller ran: it had served another process
    expect(existsSync(join(home, 'state.json.lock'))).toBe(false)
    expect(readFile(home).recoveries.map((r: Recovery) => r.reason)).toEqual(['exit'])
  })

  it('commits a waiting request itself once the lock is free, even when its holder never wakes it', async () => {
    // A holder that dies, or one of an older version, does not touch the waiting requests' files.
    const { home, b, lockPath } = twoProcesses()
    const held = await acquireFileLock(lockPath)
    const waiting = b.submit('note', id(9), 'patient', new Date())
    await tick()
    held.release() // a bare release: nothing served, nobody woken
    expect(await waiting).toMatchObject({ by: process.pid, note: 'patient', count: 1 })
    expect(b.metrics()).toMatchObject({ servedByOthers: 0, commits: 1 })
    expect(readFile(home).recoveries.map((r: Recovery) => r.reason)).toEqual([`${id(9)}:patient`])
  })

  it('ignores an answer whose commit never landed (its writer died before the rename) and runs the request itself', async () => {
    const { home, b } = twoProcesses()
    const dir = `${join(home, 'state.json')}.req`
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, `${id(3)}.res`),
      JSON.stringify({ commit: 'neverlanded', outcome: { ok: true, value: { by: 1, note: 'ghost', count: 99 } } }),
    )
    const result = await b.submit('note', id(3), 'real', new Date())
    expect(result).toMatchObject({ by: process.pid, note: 'real', count: 1 })
    expect(readFile(home).recoveries).toHaveLength(1)
  })

  it("drops dead processes' requests (answered ones too) and leaves unknown kinds to their own process", async () => {
    const { home, a } = twoProcesses()
    const dir = `${join(home, 'state.json')}.req`
    mkdirSync(dir, { recursive: true })
    const request = (n: number, pid: number, kind: string) =>
      writeFileSync(
        join(dir, `${id(n)}.json`),
        JSON.stringify({ id: id(n), kind, pid, at: new Date().toISOString(), input: 'x' }),
      )
    request(4, 2 ** 22 + 12345, 'note') // no such process
    request(5, process.pid, 'from-a-newer-version')
    writeFileSync(join(dir, `${id(6)}.json`), '{"torn')
    // Leftovers of killed processes: an answer nobody collects, a half-written request, old markers (an
    // older version kept them among the requests), and a recent marker, still of use.
    const old = new Date(Date.now() - 10 * 60_000)
    mkdirSync(join(dir, 'ok'))
    for (const name of [`${id(7)}.res`, `${id(8)}.json.tmp-1-2-x`, 'abc123.ok', 'ok/abc124', 'ok/abc125']) {
      writeFileSync(join(dir, name), '{}')
      if (name !== 'ok/abc125') utimesSync(join(dir, name), old, old)
    }
    // Answered long ago: the asker of the first was killed before it removed request and answer; the
    // second's is still running (asleep, say), and will want its answer.
    request(1, 2 ** 22 + 12345, 'note')
    request(2, process.pid, 'note')
    for (const n of [1, 2]) {
      writeFileSync(join(dir, `${id(n)}.res`), '{}')
      utimesSync(join(dir, `${id(n)}.json`), old, old)
    }
    await a.transact(() => undefined)
    expect(readFile(home).recoveries).toEqual([])
    expect(readdirSync(dir).sort()).toEqual([`${id(2)}.json`, `${id(2)}.res`, `${id(5)}.json`, 'ok'])
    expect(readdirSync(join(dir, 'ok'))).toEqual(['abc125'])
    // Leftovers are looked at once in a while, not in every commit (each costs a stat).
    writeFileSync(join(dir, 'def456.ok'), '')
    utimesSync(join(dir, 'def456.ok'), old, old)
    await a.transact(() => undefined)
    expect(readdirSync(dir).sort()).toEqual([`${id(2)}.json`, `${id(2)}.res`, `${id(5)}.json`, 'def456.ok', 'ok'])
  })
})
