import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { StateDraft } from '../../shared/schemas/state'
import { tempDir } from '../../../test/helpers/tempDir'
import { accountRecord } from '../../../test/helpers/accounts'
import { createConfBackend } from './confBackend'
import { createStateStore, type StateStore } from './stateStore'

const storeIn = (home: string) => createStateStore({ backend: createConfBackend(home), backupIntervalMs: 60_000 })
const statePath = (home: string) => join(home, 'state.json')
const deltaPath = (home: string, revision: number) => join(home, 'state.json.deltas', String(revision % 16))

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

function account(n: number) {
  return accountRecord({ id: uuid(1000 + n), name: `account-${n}`, configDir: `/home/dev/.claude-${n}` })
}

/** Adds session `n` on account `a` the way an allocation does: entry, index and folder in one go. */
function addSession(d: StateDraft, n: number, a: number): void {
  const id = uuid(n)
  const accountId = account(a).id
  d.sessions[id] = {
    id,
    accountId,
    cwd: `/home/dev/p${n % 3}`,
    pid: null,
    startedAt: '2026-11-27T10:00:00.000Z',
    endedAt: null,
    status: 'active',
    endReason: null,
  }
  d.sessionIndex[accountId] = [...(d.sessionIndex[accountId] ?? []), id]
  d.assignments[`/home/dev/p${n % 3}`] = { accountId, updatedAt: '2026-11-27T10:00:00.000Z' }
  const i = d.accounts.findIndex((x) => x.id === accountId)
  d.accounts[i] = { ...d.accounts[i]!, sessionsStarted: d.accounts[i]!.sessionsStarted + 1 }
}

/** What a store that has never seen the file makes of it (read and parsed whole). */
const parsedAfresh = (home: string) => storeIn(home).read()

describe('commit deltas', () => {
  it('bring another process’s cached document to exactly what the file holds, whatever the commit changed', async () => {
    const home = tempDir()
    const a = storeIn(home)
    const b = storeIn(home)
    await a.transact((d) => void d.accounts.push(account(1), account(2)))
    const changes: [StateStore, (d: StateDraft) => void][] = [
      [b, (d) => addSession(d, 1, 1)], // a new session, an index entry made, a folder assigned
      [a, (d) => [2, 3, 4].forEach((n) => addSession(d, n, n % 2 ? 1 : 2))], // indexes that grew
      [
        b,
        (d) =>
          void (d.sessions[uuid(2)] = {
            ...d.sessions[uuid(2)]!,
            status: 'ended',
            endedAt: '2026-11-27T11:00:00.000Z',
          }),
      ],
      [a, (d) => void (d.settings.rebalanceIntervalSec = 123)], // a field other than the records
      [
        b,
        (d) => {
          // Entries removed from every record, and an index rewritten rather than grown.
          delete d.sessions[uuid(3)]
          d.sessionIndex[account(1).id] = d.sessionIndex[account(1).id]!.filter((id) => id !== uuid(3))
          delete d.assignments['/home/dev/p0']
        },
      ],
      [a, (d) => void (d.preferredAccountId = account(2).id)],
      [b, (d) => void d.accounts.push(account(3))],
    ]
    let expectedDeltas = 0
    for (const [writer, change] of changes) {
      const reader = writer === a ? b : a
      await writer.transact(change)
      const before = reader.metrics()
      const state = await reader.read()
      expect(state).toEqual(await parsedAfresh(home))
      // Taken from the delta: no parse of the file.
      expect(reader.metrics().cacheMisses).toBe(before.cacheMisses)
      expect(reader.metrics().deltaReads).toBe(before.deltaReads + 1)
      expectedDeltas++
    }
    expect(a.metrics().deltaReads + b.metrics().deltaReads).toBe(expectedDeltas)
    // And a commit made on a document that came from a delta is as good as any.
    await a.transact((d) => addSession(d, 9, 3))
    expect(await b.read()).toEqual(await parsedAfresh(home))
  })

  it('take a process several commits behind through each of them, and are passed over when one is missing', async () => {
    const home = tempDir()
    const a = storeIn(home)
    const b = storeIn(home)
    await a.transact((d) => void d.accounts.push(account(1), account(2)))
    // Three commits by b since a's: a applies the three deltas kept, one after the other.
    for (let n = 1; n <= 3; n++) await b.transact((d) => addSession(d, n, 1 + (n % 2)))
    expect(await a.read()).toEqual(await parsedAfresh(home))
    // (a's one miss so far: its first transaction, which found no file.)
    expect(a.metrics()).toMatchObject({ cacheMisses: 1, deltaReads: 1 })
    // One link of the chain gone (as if its writer died first): the file is read.
    await a.transact((d) => addSession(d, 4, 1))
    for (let n = 5; n <= 7; n++) await b.transact((d) => addSession(d, n, 1))
    rmSync(deltaPath(home, 7 - 1))
    expect(await a.read()).toEqual(await parsedAfresh(home))
    expect(a.metrics()).toMatchObject({ cacheMisses: 2, deltaReads: 1 })
    // More commits behind than deltas are kept: the file is read.
    for (let n = 8; n <= 8 + 16; n++) await b.transact((d) => addSession(d, n, 2))
    expect(await a.read()).toEqual(await parsedAfresh(home))
    expect(a.metrics()).toMatchObject({ cacheMisses: 3, deltaReads: 1 })
  })

  it('are passed over when torn or altered: their digest no longer matches', async () => {
    const home = tempDir()
    const a = storeIn(home)
    const b = storeIn(home)
    await a.transact((d) => void d.accounts.push(account(1))) // revision 1
    await b.transact((d) => addSession(d, 1, 1)) // revision 2
    const text = readFileSync(deltaPath(home, 2), 'utf8')
    // Same length, one character different: the session's folder.
    writeFileSync(deltaPath(home, 2), text.replace('/home/dev/p1', '/home/dev/pX'))
    const misses = a.metrics().cacheMisses
    const state = await a.read()
    expect(state.sessions[uuid(1)]!.cwd).toBe('/home/dev/p1')
    expect(a.metrics()).toMatchObject({ cacheMisses: misses + 1, deltaReads: 0 })
    // Cut short, as by a crash in the middle of the write.
    await a.transact((d) => addSession(d, 2, 1)) // revision 3
    writeFileSync(deltaPath(home, 3), readFileSync(deltaPath(home, 3)).subarray(0, 80))
    expect(await b.read()).toEqual(await parsedAfresh(home))
    expect(b.metrics().deltaReads).toBe(0)
  })

  it('are never made from a file edited by hand: every process reads the edit', async () => {
    const home = tempDir()
    const a = storeIn(home)
    const b = storeIn(home)
    await a.transact((d) => void d.accounts.push(account(1)))
    await a.transact((d) => void (d.settings.rebalanceIntervalSec = 30))
    await b.read() // a's and b's caches: that commit, digest and all
    // An edit by hand that keeps the head (version, revision, commit and the old digest, which no longer
    // matches): nothing at the head tells a cache it is out of date.
    writeFileSync(statePath(home), readFileSync(statePath(home), 'utf8').replace('"account-1"', '"renamed-1"'))
    // A third process validates the edited file and commits on it. A delta from the commit at the head to
    // its own would bring a's and b's pre-edit documents to one without the edit, which their next
    // commits would write back: it leaves none.
    const c = storeIn(home)
    await c.transact((d) => addSession(d, 1, 1))
    for (const reader of [a, b]) {
      const state = await reader.read()
      expect(state.accounts[0]!.name).toBe('renamed-1')
      expect(state.sessions[uuid(1)]).toBeDefined()
      expect(reader.metrics().deltaReads).toBe(0)
    }
    // From then on the file is c's, whole: its next commit leaves a delta that a and b apply.
    await c.transact((d) => addSession(d, 2, 1))
    expect(await a.read()).toEqual(await parsedAfresh(home))
    expect(a.metrics().deltaReads).toBe(1)
  })
})
