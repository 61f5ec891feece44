import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { generateCorpus } from '../bench/corpus'
import { AccountLedger } from '../src/main/usage/ledger'
import { createUsageService } from '../src/main/usage/usageService'
import { ROOT } from './helpers/processes'
import { appendLines, assistantLine } from './helpers/transcripts'
import { tempDir } from './helpers/tempDir'

// The built worker (test/globalSetup.ts builds out/ when the sources are newer).
const BUILT_WORKER = pathToFileURL(join(ROOT, 'out', 'main', 'usageWorker.js'))
const NOW = Date.parse('2026-11-27T12:00:00Z')

function corpus() {
  const root = tempDir('prime-')
  const dirs = generateCorpus({ root, accounts: 3, bytesPerAccount: 3_000_000, seed: 11, end: NOW })
  return dirs.map((configDir, i) => ({ id: String(i), configDir }))
}

/** Every account's summary as a service that reads everything on this thread sees it. */
function reference(accounts: { id: string; configDir: string }[]) {
  const service = createUsageService({ indexDir: tempDir('ref-'), now: () => NOW })
  return accounts.map((a) => service.summaryOf(a))
}

describe('priming a first start on worker threads', () => {
  it('builds the indexes of accounts without one in workers, with the same figures as one thread', async () => {
    const accounts = corpus()
    const indexDir = tempDir('idx-')
    const service = createUsageService({ indexDir, now: () => NOW, workerScript: BUILT_WORKER })
    // The app's way: every account on worker threads, none on the calling thread.
    expect(await service.prime(accounts, { onThisThread: false })).toEqual({ builtByWorkers: accounts.length })
    for (const a of accounts) expect(existsSync(AccountLedger.indexPathFor(indexDir, a.configDir))).toBe(true)
    expect(accounts.map((a) => service.summaryOf(a))).toEqual(reference(accounts))
    // Nothing left to prime: a second call starts no worker and changes nothing.
    expect(await service.prime(accounts)).toEqual({ builtByWorkers: 0 })
    expect(accounts.map((a) => service.summaryOf(a))).toEqual(reference(accounts))
    // The workers' accounts were taken as written; a line Claude Code appends later is read on refresh.
    const transcript = join(accounts[0]!.configDir, 'projects', '-home-dev-late', 'late.jsonl')
    const entries = (a: (typeof accounts)[number]) => service.summaryOf(a).blocks.reduce((n, b) => n + b.entries, 0)
    const before = entries(accounts[0]!)
    appendLines(transcript, [assistantLine({ time: new Date(NOW - 60_000), messageId: 'late', requestId: 'late' })])
    expect(service.refresh(accounts[0]!)).toBe(true)
    expect(entries(accounts[0]!)).toBe(before + 1)
  })

  it('shares the accounts between this thread and the workers, with the same figures', async () => {
    const accounts = corpus()
    const indexDir = tempDir('idx-')
    const service = createUsageService({ indexDir, now: () => NOW, workerScript: BUILT_WORKER })
    // The CLI's way: this thread claims accounts too (how many each side gets depends on timing).
    await service.prime(accounts)
    for (const a of accounts) expect(existsSync(AccountLedger.indexPathFor(indexDir, a.configDir))).toBe(true)
    expect(accounts.map((a) => service.summaryOf(a))).toEqual(reference(accounts))
  })

  it('reads the accounts itself when a worker cannot start, fails every account or exits without answering', async () => {
    const accounts = corpus()
    const scripts = tempDir('scripts-')
    const broken = join(scripts, 'broken.mjs')
    writeFileSync(broken, "throw new Error('this worker cannot start')\n")
    const refusing = join(scripts, 'refusing.mjs')
    writeFileSync(
      refusing,
      "import { parentPort } from 'node:worker_threads'\nparentPort.on('message', () => parentPort.postMessage({ ok: false, message: 'no' }))\n",
    )
    const leaving = join(scripts, 'leaving.mjs')
    writeFileSync(
      leaving,
      "import { parentPort } from 'node:worker_threads'\nparentPort.on('message', () => process.exit(0))\n",
    )
    for (const [script, onThisThread] of [broken, refusing, leaving].flatMap(
      (s) =>
        [
          [s, true],
          [s, false],
        ] as const,
    )) {
      const service = createUsageService({
        indexDir: tempDir('idx-'),
        now: () => NOW,
        workerScript: pathToFileURL(script),
      })
      expect(await service.prime(accounts, { onThisThread })).toEqual({ builtByWorkers: 0 })
      expect(accounts.map((a) => service.summaryOf(a))).toEqual(reference(accounts))
    }
  })
})
