import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../shared/errors'
import { StateDocumentSchema, type Recovery, type StateDraft } from '../../shared/schemas/state'
import { tempDir } from '../../../test/helpers/tempDir'
import { accountRecord } from '../../../test/helpers/accounts'
import { StoreRefusedError, StoreVersionError } from './errors'
import { createStateStore, type StateStoreOptions } from './stateStore'

const ACCOUNT = accountRecord({
  id: '5b0c6a52-2f8f-4a43-9a57-3c9a2c7a9d11',
  name: 'work',
  configDir: '/home/dev/.claude-work',
})

const storeIn = (home: string, options: Partial<StateStoreOptions> = {}) => createStateStore({ home, ...options })
const readFile = (home: string, name = 'state.json') => JSON.parse(readFileSync(join(home, name), 'utf8'))
/** A transaction that leaves a trace: a recovery record with this reason (a list any test may append to). */
const note = (reason: string) => (d: StateDraft) =>
  void d.recoveries.push({
    at: new Date().toISOString(),
    reason,
    movedAsideTo: null,
    restoredFrom: 'empty',
    backup: null,
  })
const notes = (doc: { recoveries: readonly Recovery[] }) => doc.recoveries.map((r) => r.reason)

/** A home with commits `one` … `five`, so backups hold generations one to four. */
async function homeWithFiveCommits(): Promise<string> {
  const home = tempDir()
  const store = storeIn(home)
  for (const reason of ['one', 'two', 'three', 'four', 'five']) await store.transact(note(reason))
  return home
}

describe('state store', () => {
  it('creates its folder 0700 and the file 0600, and validates what it writes', async () => {
    const home = join(tempDir(), 'nested', 'home')
    await storeIn(home).transact((d) => {
      d.accounts.push({ ...ACCOUNT })
      d.sessionIndex[ACCOUNT.id] = []
    })
    expect(statSync(join(home, 'state.json')).mode & 0o777).toBe(0o600)
    expect(statSync(home).mode & 0o777).toBe(0o700)
    expect(StateDocumentSchema.parse(readFile(home)).accounts.map((a) => a.name)).toEqual(['work'])
    expect(readFileSync(join(home, 'state.json'), 'utf8')).toMatch(/^\{"version":1,"revision":1,"commit":"[a-z0-9]+",/)
  })

  it('creates the file on the first transaction, and writes nothing for one that changes nothing', async () => {
    const home = tempDir()
    const store = storeIn(home)
    await store.transact(() => undefined)
    const written = readFileSync(join(home, 'state.json'), 'utf8')
    expect(JSON.parse(written).revision).toBe(1)
    expect(await store.transact((d) => d.accounts.length)).toBe(0)
    await store.transact((d) => void (d.settings.rebalanceIntervalSec = d.settings.rebalanceIntervalSec))
    await storeIn(home).transact((d) => d.revision) // another process, likewise
    expect(readFileSync(join(home, 'state.json'), 'utf8')).toBe(written)
    await store.transact((d) => void (d.settings.rebalanceIntervalSec = 30))
    expect(readFile(home)).toMatchObject({ revision: 2, settings: { rebalanceIntervalSec: 30 } })
  })

  it('a transaction that throws or breaks the schema leaves no trace, and its neighbours still commit', async () => {
    const home = tempDir()
    const store = storeIn(home)
    const results = await Promise.allSettled([
      store.transact((d) => void (d.settings.rebalanceIntervalSec = 120)),
      store.transact((d) => {
        d.settings.nearLimitRatio = 0.5 // half-done, then a failure
        throw new Error('boom')
      }),
      store.transact((d) => void (d.sessionIndex[ACCOUNT.id] = ['not-a-session'])),
      store.transact((d) => void (d.settings.sessionTtlHours = 48)),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled'])
    const invalid = (results[2] as PromiseRejectedResult).reason
    expect(invalid).toBeInstanceOf(ValidationError)
    expect((invalid as ValidationError).issues[0]!.path[0]).toBe('sessionIndex')
    expect(readFile(home).settings).toMatchObject({
      rebalanceIntervalSec: 120,
      sessionTtlHours: 48,
      nearLimitRatio: 0.9,
    })
    expect(readFile(home).sessionIndex).toEqual({})
  })

  it('refuses an asynchronous transaction function', async () => {
    await expect(storeIn(tempDir()).transact(async () => 1)).rejects.toThrow(/synchronous/)
  })

  it('loses none of 1000 concurrent transactions, and groups them into a few writes', async () => {
    const home = tempDir()
    const store = storeIn(home)
    await store.transact((d) => {
      d.accounts.push({ ...ACCOUNT })
      d.sessionIndex[ACCOUNT.id] = []
    })
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => store.transact((d) => ++d.accounts[0]!.sessionsStarted)),
    )
    expect(new Set(results).size).toBe(1000)
    expect(readFile(home).accounts[0].sessionsStarted).toBe(1000)
    expect(readFile(home).revision).toBeLessThan(10)
  })

  it('sees another process’s commit at once', async () => {
    const home = tempDir()
    const a = storeIn(home)
    const b = storeIn(home)
    await a.transact((d) => void (d.settings.rebalanceIntervalSec = 10))
    expect((await b.read()).settings.rebalanceIntervalSec).toBe(10)
    await b.transact((d) => void (d.settings.rebalanceIntervalSec = 20))
    expect((await a.read()).settings.rebalanceIntervalSec).toBe(20)
    expect(await a.transact((d) => d.settings.rebalanceIntervalSec)).toBe(20)
  })

  it('runs a transaction again when the file changed under it (a lock broken by mistake): nothing is lost', async () => {
    const home = tempDir()
    const store = storeIn(home)
    await store.transact(note('first'))
    let runs = 0
    await store.transact((d) => {
      runs++
      // The first time, another writer commits while this transaction runs, as if it held a broken lock.
      if (runs === 1) {
        const other = readFile(home)
        other.revision += 1
        other.commit = 'other'
        other.recoveries.push({ ...other.recoveries[0], reason: 'the other writer' })
        writeFileSync(join(home, 'state.json'), JSON.stringify(other))
      }
      note('mine')(d)
    })
    expect(runs).toBe(2)
    expect(notes(readFile(home))).toEqual(['first', 'the other writer', 'mine'])
  })

  it('migrates an older document', async () => {
    const home = tempDir()
    await storeIn(home).transact((d) => void (d.settings.rebalanceIntervalSec = 10))
    const { recoveries: _dropped, ...v0 } = { ...readFile(home), version: 0 }
    writeFileSync(join(home, 'state.json'), JSON.stringify(v0))
    const store = storeIn(home, { migrations: { 0: (doc) => ({ ...doc, recoveries: [] }) } })
    expect((await store.read()).settings.rebalanceIntervalSec).toBe(10)
    await store.transact((d) => void (d.settings.rebalanceIntervalSec = 11))
    expect(readFile(home)).toMatchObject({ version: 1, settings: { rebalanceIntervalSec: 11 } })
  })

  it('keeps the last three good generations, each the version before a commit', async () => {
    const home = await homeWithFiveCommits()
    expect(notes(readFile(home))).toEqual(['one', 'two', 'three', 'four', 'five'])
    expect(notes(readFile(home, 'state.json.bak.1'))).toEqual(['one', 'two', 'three', 'four'])
    expect(notes(readFile(home, 'state.json.bak.2'))).toEqual(['one', 'two', 'three'])
    expect(notes(readFile(home, 'state.json.bak.3'))).toEqual(['one', 'two'])
    expect(existsSync(join(home, 'state.json.bak.4'))).toBe(false)
    for (const g of [1, 2, 3]) expect(statSync(join(home, `state.json.bak.${g}`)).mode & 0o777).toBe(0o600)
  })

  it('removes the temp files of writers that died, and leaves a live writer’s fresh one alone', async () => {
    const home = tempDir()
    await storeIn(home).transact(() => undefined)
    const dead = join(home, 'state.json.tmp-999999999-abc') // no such process
    const broken = join(home, 'state.json.lock.broken-999999999-abc')
    const live = join(home, `state.json.tmp-${process.ppid}-def`)
    const old = join(home, `state.json.tmp-${process.ppid}-ghi`)
    for (const path of [dead, broken, live, old]) writeFileSync(path, 'half')
    utimesSync(old, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000))
    await storeIn(home).transact(note('next'))
    expect([dead, broken, live, old].map((p) => existsSync(p))).toEqual([false, false, true, false])
  })
})

describe('a state file that cannot be used', () => {
  const cases: [string, string][] = [
    ['garbage', '\u0000\u0001 this is not json at all'],
    ['a truncated file', '{"version":1,"revision":3,"commit":"abc","accounts":[{"id":"5b0c'],
    ['an empty file', ''],
    ['an empty object', '{}'],
    ['an array', '[]'],
    ['null', 'null'],
    ['a wrong schema', JSON.stringify({ version: 1, revision: 2, commit: 'x', accounts: 'nope' })],
  ]
  for (const [label, content] of cases)
    it(`moves ${label} aside and restores the newest good generation, losing only the last commit`, async () => {
      const home = await homeWithFiveCommits()
      const generations = [1, 2, 3].map((g) => readFileSync(join(home, `state.json.bak.${g}`), 'utf8'))
      writeFileSync(join(home, 'state.json'), content)
      const recoveries: Recovery[] = []
      const store = storeIn(home, { onRecover: (r) => recoveries.push(r) })
      expect(notes(await store.read())).toEqual(['one', 'two', 'three', 'four', expect.any(String)])
      expect(recoveries).toEqual([
        expect.objectContaining({
          restoredFrom: 'backup',
          backup: join(home, 'state.json.bak.1'),
          reason: expect.stringMatching(
            label === 'garbage' || label.startsWith('a trunc') || label.startsWith('an empty f') ? /JSON/ : /./,
          ),
        }),
      ])
      expect(readFileSync(recoveries[0]!.movedAsideTo!, 'utf8')).toBe(content)
      // The restored document is the state file now; no generation was overwritten by it or by the corrupt one.
      expect(notes(readFile(home)).slice(0, 4)).toEqual(['one', 'two', 'three', 'four'])
      expect([1, 2, 3].map((g) => readFileSync(join(home, `state.json.bak.${g}`), 'utf8'))).toEqual(generations)
      // A second run finds a valid file and changes nothing more.
      await storeIn(home, { onRecover: (r) => recoveries.push(r) }).transact(note('six'))
      expect(recoveries).toHaveLength(1)
      expect(notes(readFile(home, 'state.json.bak.2'))).toEqual(['one', 'two', 'three', 'four'])
    })

  it('restores a missing state file from the newest generation, and says so', async () => {
    const home = await homeWithFiveCommits()
    const { rmSync } = await import('node:fs')
    rmSync(join(home, 'state.json'))
    const recoveries: Recovery[] = []
    const store = storeIn(home, { onRecover: (r) => recoveries.push(r) })
    await expect(store.transact((d) => notes(d))).resolves.toEqual([
      'one',
      'two',
      'three',
      'four',
      'state.json was missing',
    ])
    expect(recoveries).toEqual([
      expect.objectContaining({ reason: 'state.json was missing', movedAsideTo: null, restoredFrom: 'backup' }),
    ])
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

  it('restores nothing older than a generation a newer Auth Pool wrote: it says to update and touches nothing', async () => {
    const home = await homeWithFiveCommits()
    const newer = JSON.stringify({ ...readFile(home, 'state.json.bak.1'), version: 99 })
    writeFileSync(join(home, 'state.json.bak.1'), newer)
    writeFileSync(join(home, 'state.json'), '{ broken')
    const before = readdirSync(home).sort()
    for (let run = 0; run < 2; run++)
      await expect(storeIn(home).transact(note('x'))).rejects.toThrow(/bak\.1 has schema version 99.*update Auth Pool/)
    expect(readdirSync(home).sort()).toEqual(before)
    expect(readFileSync(join(home, 'state.json.bak.1'), 'utf8')).toBe(newer)
    expect(readFileSync(join(home, 'state.json'), 'utf8')).toBe('{ broken')
  })

  it('starts an empty pool when no generation is usable, keeping the corrupt file and the broken generations', async () => {
    const home = tempDir()
    writeFileSync(join(home, 'state.json.bak.1'), '{ also broken')
    writeFileSync(join(home, 'state.json'), '{ broken')
    let recovery: Recovery | undefined
    const store = storeIn(home, { onRecover: (r) => (recovery = r) })
    await store.transact((d) => void (d.settings.rebalanceIntervalSec = 15))
    expect(recovery).toMatchObject({ restoredFrom: 'empty', backup: null })
    expect(readdirSync(home).filter((n) => n.includes('.corrupt-'))).toHaveLength(1)
    expect(readFile(home).settings.rebalanceIntervalSec).toBe(15)
    expect(readFileSync(join(home, 'state.json.bak.1'), 'utf8')).toBe('{ also broken')
  })
})

describe('a home that belongs to its user', () => {
  /** A store that takes the current user for another one, so every file here is someone else's. */
  const asAnotherUser = (home: string) => storeIn(home, { ownership: { uid: () => 4242 } })

  it('refuses a home another user owns, naming it and its owner', async () => {
    const home = tempDir()
    await expect(asAnotherUser(home).read()).rejects.toThrow(
      new RegExp(`refusing to use ${home}: the folder belongs to .*uid 0.*not to uid 4242`),
    )
    await expect(asAnotherUser(home).transact(() => 1)).rejects.toBeInstanceOf(StoreRefusedError)
  })

  it('refuses a state file or lock file another user owns (checked on a home of ours)', async () => {
    const home = tempDir()
    writeFileSync(join(home, 'state.json'), '{}')
    const theirs = { uid: () => statSync(home).uid } // the home passes; the files are made foreign below
    const { chownSync } = await import('node:fs')
    const canChown = process.getuid?.() === 0
    if (!canChown) return // chown needs root; the fake-uid test above covers the check itself
    chownSync(join(home, 'state.json'), 65534, 65534)
    await expect(storeIn(home, { ownership: theirs }).read()).rejects.toThrow(/state file belongs to .*65534/)
    chownSync(join(home, 'state.json'), 0, 0)
    await storeIn(home).transact(() => undefined)
    writeFileSync(join(home, 'state.json.lock'), '{"pid":1,"host":"x","token":"t","command":"c","at":0}')
    chownSync(join(home, 'state.json.lock'), 65534, 65534)
    await expect(storeIn(home).transact(note('x'))).rejects.toThrow(/lock file belongs to .*65534/)
  })

  it('refuses a state file or a lock file that is a symbolic link, even a dangling one', async () => {
    const home = tempDir()
    const elsewhere = join(tempDir(), 'their-state.json')
    await storeIn(home).transact(() => undefined)
    writeFileSync(elsewhere, readFileSync(join(home, 'state.json')))
    const { rmSync } = await import('node:fs')
    rmSync(join(home, 'state.json'))
    symlinkSync(elsewhere, join(home, 'state.json'))
    await expect(storeIn(home).read()).rejects.toThrow(/state\.json: the state file is a symbolic link/)
    rmSync(join(home, 'state.json'))
    symlinkSync(join(home, 'nowhere'), join(home, 'state.json.lock'))
    const started = Date.now()
    await expect(storeIn(home).transact(note('x'))).rejects.toThrow(
      /state\.json\.lock: the lock file is a symbolic link/,
    )
    expect(Date.now() - started).toBeLessThan(5_000) // refused, not waited on
  })

  it('makes a missing home with owner-only permissions', async () => {
    const home = join(tempDir(), 'a', 'b')
    mkdirSync(join(home, '..'), { recursive: true, mode: 0o755 })
    await storeIn(home).read()
    expect(statSync(home).mode & 0o777).toBe(0o700)
  })
})
