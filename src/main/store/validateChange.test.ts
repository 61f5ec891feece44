import { randomUUID } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { StateDocumentSchema, StateReferencesSchema, type StateDocument } from '../../shared/schemas/state'
import { accountDir, testEngine } from '../../../test/helpers/enginePorts'
import { validateChange } from './validateChange'

/** A real document: two accounts, sessions active and ended, folder assignments. */
async function realDocument(): Promise<StateDocument> {
  const { engine, store } = testEngine()
  await engine.addAccount({ name: 'a', configDir: accountDir('a') })
  await engine.addAccount({ name: 'b', configDir: accountDir('b') })
  for (let i = 0; i < 12; i++) {
    const { session } = await engine.allocate({ cwd: `/proj/${i % 3}` })
    if (i % 4 === 0) await engine.release(session.id)
  }
  return structuredClone(await store.read()) as StateDocument
}

const issuesOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (result.error?.issues ?? []).map((i) => `${i.path.map(String).join('.')}: ${i.message}`).sort()

/** Each change is made to a copy of the document, as a transaction would make it to its draft. */
const CHANGES: Record<string, (d: StateDocument) => void> = {
  nothing: () => undefined,
  'a new session in its index': (d) => {
    const id = randomUUID()
    const accountId = d.accounts[0]!.id
    d.sessions[id] = {
      ...Object.values(d.sessions)[0]!,
      id,
      accountId,
      status: 'active',
      endedAt: null,
      endReason: null,
    }
    d.sessionIndex[accountId] = [...(d.sessionIndex[accountId] ?? []), id]
  },
  "a new session appended to the other account's index": (d) => {
    const id = randomUUID()
    d.sessions[id] = { ...Object.values(d.sessions)[0]!, id, accountId: d.accounts[0]!.id }
    d.sessionIndex[d.accounts[1]!.id] = [...(d.sessionIndex[d.accounts[1]!.id] ?? []), id]
  },
  'a session ended (valid)': (d) => {
    const s = Object.values(d.sessions).find((x) => x.status === 'active')!
    Object.assign(s, { status: 'ended', endedAt: new Date(0).toISOString(), endReason: 'released' })
  },
  'an unknown key on a session (dropped)': (d) => {
    Object.assign(Object.values(d.sessions)[1]!, { extra: 'x' })
  },
  'a negative pid': (d) => {
    Object.values(d.sessions)[2]!.pid = -1
  },
  'an end time that is no time': (d) => {
    Object.values(d.sessions)[3]!.endedAt = 'yesterday'
  },
  'a folder that is an object': (d) => {
    ;(Object.values(d.sessions)[4] as unknown as { cwd: unknown }).cwd = { path: '/x' }
  },
  'a session under a key that is no uuid': (d) => {
    const s = Object.values(d.sessions)[0]!
    d.sessions['not-a-uuid'] = { ...s, id: 'not-a-uuid' }
    d.sessionIndex[s.accountId]!.push('not-a-uuid')
  },
  'a session removed but still indexed': (d) => {
    delete d.sessions[Object.keys(d.sessions)[5]!]
  },
  'an index reversed (not an append)': (d) => {
    const [accountId, ids] = Object.entries(d.sessionIndex)[0]!
    d.sessionIndex[accountId] = [...ids].reverse()
  },
  'an index entry whose first id is no uuid': (d) => {
    const [accountId, ids] = Object.entries(d.sessionIndex)[0]!
    d.sessionIndex[accountId] = ['nope', ...ids.slice(1)]
  },
  'a session listed twice': (d) => {
    const [accountId, ids] = Object.entries(d.sessionIndex)[0]!
    d.sessionIndex[accountId] = [...ids, ids[0]!]
  },
  'a session moved to another account, index unchanged': (d) => {
    Object.values(d.sessions)[6]!.accountId =
      d.accounts[1]!.id === Object.values(d.sessions)[6]!.accountId ? d.accounts[0]!.id : d.accounts[1]!.id
  },
  'an assignment to a missing account': (d) => {
    d.assignments['/elsewhere'] = { accountId: randomUUID(), updatedAt: new Date(0).toISOString() }
  },
  'an assignment changed validly': (d) => {
    d.assignments['/proj/0']!.accountId = d.accounts[1]!.id
  },
  'sessions that are no record': (d) => {
    ;(d as unknown as { sessions: unknown }).sessions = null
  },
  'an index entry that is no array': (d) => {
    ;(d.sessionIndex as Record<string, unknown>)[d.accounts[0]!.id] = 'all of them'
  },
  'a setting out of range': (d) => {
    d.settings.rebalanceIntervalSec = 1
  },
  'the scheduler noting an error (valid)': (d) => {
    d.scheduler.lastError = 'disk full'
    d.scheduler.consecutiveFailures = 2
  },
  'a negative failure count': (d) => {
    d.scheduler.consecutiveFailures = -1
  },
  'a recovery recorded': (d) => {
    d.recoveries.push({ at: new Date(0).toISOString(), reason: 'test', movedAsideTo: '/x', restoredFrom: 'empty' })
  },
  'a rule without its id': (d) => {
    delete (d.rules[0] as Partial<(typeof d.rules)[number]>).id
  },
  'rules gone (their default comes back)': (d) => {
    delete (d as Partial<StateDocument>).rules
  },
  'another version': (d) => {
    ;(d as unknown as { version: number }).version = 99
  },
  'a preferred account that does not exist': (d) => {
    d.preferredAccountId = randomUUID()
  },
  'an account renamed to its neighbour': (d) => {
    d.accounts[1]!.name = d.accounts[0]!.name
  },
}

describe('validating only what a transaction changed', () => {
  it.each(Object.keys(CHANGES))('gives the same verdict, issues and result as the whole schema: %s', async (name) => {
    const base = await realDocument()
    expect(StateDocumentSchema.safeParse(base).success).toBe(true)
    const draft = structuredClone(base)
    CHANGES[name]!(draft)
    const whole = StateDocumentSchema.safeParse(structuredClone(draft))
    const report = { changed: true }
    const changed = validateChange(base, draft, report)
    expect(changed.success).toBe(whole.success)
    expect(issuesOf(changed)).toEqual(issuesOf(whole))
    if (whole.success) expect(changed.data).toEqual(whole.data)
    if (whole.success) expect(report.changed).toBe(name !== 'nothing')
  })

  it('reports an untouched copy, or one set to what it held, as unchanged', async () => {
    const base = await realDocument()
    for (const touch of [
      () => undefined,
      (d: StateDocument) => void (d.settings.rebalanceIntervalSec = base.settings.rebalanceIntervalSec),
      (d: StateDocument) => void (d.sessions = { ...d.sessions }),
    ]) {
      const draft = structuredClone(base)
      touch(draft)
      const report = { changed: true }
      expect(validateChange(base, draft, report)).toEqual({ success: true, data: base })
      expect(report.changed).toBe(false)
    }
  })

  it('does not run the whole cross-reference check for what allocations and releases change', async () => {
    const { engine, store } = testEngine()
    await engine.addAccount({ name: 'a', configDir: accountDir('a') })
    await engine.addAccount({ name: 'b', configDir: accountDir('b') })
    await engine.allocate({ cwd: '/proj' })
    const whole = vi.spyOn(StateReferencesSchema, 'safeParse')
    try {
      // Real transactions, each judged against the document before it.
      for (const step of [
        () => engine.allocate({ cwd: '/proj' }),
        () => engine.allocate({ cwd: '/other' }),
        async () => engine.release((await engine.sessions({ activeOnly: true }))[0]!.id),
      ]) {
        const before = structuredClone(await store.read()) as StateDocument
        await step()
        const after = structuredClone(await store.read()) as StateDocument
        expect(validateChange(before, after)).toEqual({ success: true, data: after })
      }
      expect(whole).not.toHaveBeenCalled()
      // An account renamed to its neighbour's name still goes through the whole check, and fails.
      const before = structuredClone(await store.read()) as StateDocument
      const after = structuredClone(before)
      after.accounts[1]!.name = after.accounts[0]!.name.toUpperCase()
      expect(validateChange(before, after).success).toBe(false)
      expect(whole).toHaveBeenCalled()
    } finally {
      whole.mockRestore()
    }
  })
})
