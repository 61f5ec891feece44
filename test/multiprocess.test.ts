import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StateDocumentSchema } from '../src/shared/schemas/state'
import { accountDir, testEngine } from './helpers/enginePorts'
import { collect, startWorker } from './helpers/processes'

describe('several processes on one state file', () => {
  it('8 processes × 50 allocations (releasing some): every session exists once and every index is exact', async () => {
    const { engine, home } = testEngine()
    for (const name of ['a', 'b', 'c']) await engine.addAccount({ name, configDir: accountDir(name) })
    const workers = Array.from({ length: 8 }, () => collect(startWorker(home, 50, 4)))
    const results = await Promise.all(workers)
    const allocations: { id: string; accountId: string; released: boolean }[] = []
    for (const r of results) {
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(lines.at(-1)).toEqual({ done: true })
      allocations.push(...lines.slice(0, -1))
    }
    expect(allocations).toHaveLength(400)
    const doc = StateDocumentSchema.parse(JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')))
    const ids = Object.keys(doc.sessions)
    expect(ids).toHaveLength(400)
    expect(new Set(allocations.map((a) => a.id)).size).toBe(400)
    expect(new Set(ids)).toEqual(new Set(allocations.map((a) => a.id)))
    for (const account of doc.accounts) {
      const pointing = ids.filter((id) => doc.sessions[id]!.accountId === account.id).sort()
      expect([...doc.sessionIndex[account.id]!].sort()).toEqual(pointing)
    }
    const released = allocations.filter((a) => a.released).map((a) => a.id)
    expect(released).toHaveLength(8 * 13)
    for (const id of released) expect(doc.sessions[id]!.status).toBe('ended')
    expect(Object.values(doc.sessions).filter((s) => s.status === 'active')).toHaveLength(400 - released.length)
    expect(doc.accounts.reduce((n, a) => n + a.sessionsStarted, 0)).toBe(400)
  })
})
