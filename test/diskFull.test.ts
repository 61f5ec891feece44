// Writes that do not fit: a process whose files may not grow past a limit (RLIMIT_FSIZE through bash's
// `ulimit -f`) fails a write the way a full disk does, first short, then with an error (EFBIG there,
// ENOSPC on a full disk). Nothing may be left half-written, and a failure after a commit may not undo it.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StateDocumentSchema } from '../src/shared/schemas/state'
import { createStateStore } from '../src/main/store/stateStore'
import { StoreIoError } from '../src/main/store/errors'
import { CLI, ROOT, runCli } from './helpers/processes'
import { appendLines, assistantLine } from './helpers/transcripts'
import { tempDir } from './helpers/tempDir'
import { writeLogin } from './helpers/accounts'

const WRITER = join(ROOT, 'test', 'helpers', 'limitedWriter.ts')

/** Runs node with these arguments in a process whose files may not grow past `kb` kilobytes. */
function nodeUnderLimit(kb: number, args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  return spawnSync('bash', ['-c', `ulimit -f ${kb} && exec ${quoted}`], { cwd: ROOT, env, encoding: 'utf8' })
}

/** Runs limitedWriter.ts with files limited to `kb` kilobytes; its JSON lines. */
function underLimit(kb: number, ...args: string[]): Record<string, unknown>[] {
  // tsx's own cache files must not be what hits the limit.
  const child = nodeUnderLimit(kb, ['--import', 'tsx', WRITER, ...args], { ...process.env, TSX_DISABLE_CACHE: '1' })
  expect(child.status, child.stderr).toBe(0)
  return child.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.includes('.tmp-'))

// bash's `ulimit -f` sets the limit; there is no bash on Windows.
describe.skipIf(process.platform === 'win32')('a write that does not fit (a full disk)', () => {
  it('fails with the error and leaves the file as it was, with no temp file behind', () => {
    const dir = tempDir()
    const path = join(dir, 'index.idx')
    writeFileSync(path, 'the previous version')
    expect(underLimit(16, path, 'atomic', String(64 * 1024))).toEqual([{ error: 'EFBIG' }])
    expect(readFileSync(path, 'utf8')).toBe('the previous version')
    expect(leftovers(dir)).toEqual([])
    // The limit is the only reason: the same write fits without it.
    expect(underLimit(1024, path, 'atomic', String(64 * 1024))).toEqual([{ ok: true }])
    expect(readFileSync(path).length).toBe(64 * 1024)
  })

  it('rejects a commit that does not fit, keeps the last commit and its generations intact, and commits again once it fits', async () => {
    const home = join(tempDir(), 'home')
    const store = createStateStore({ home })
    await store.transact((d) => void (d.settings.rebalanceIntervalSec = 41))
    await store.transact((d) => void (d.settings.rebalanceIntervalSec = 42))
    const before = readFileSync(join(home, 'state.json'), 'utf8')
    const generation = readFileSync(join(home, 'state.json.bak.1'), 'utf8')
    expect(before.length).toBeLessThan(8 * 1024)

    const [outcome] = underLimit(8, home, 'commit')
    expect(outcome).toEqual({ error: 'STORE_IO' }) // EFBIG, as a StoreIoError
    expect(readFileSync(join(home, 'state.json'), 'utf8')).toBe(before)
    expect(readFileSync(join(home, 'state.json.bak.1'), 'utf8')).toBe(generation)
    expect(existsSync(join(home, 'state.json.bak.2'))).toBe(false)
    expect(leftovers(home)).toEqual([])

    const recoveries: unknown[] = []
    const next = createStateStore({ home, onRecover: (r) => recoveries.push(r) })
    expect((await next.read()).revision).toBe(2)
    expect(recoveries).toEqual([])
    expect(underLimit(1024, home, 'commit')[0]).toEqual({ ok: true })
    const doc = StateDocumentSchema.parse(JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')))
    expect(doc).toMatchObject({ revision: 3, settings: { rebalanceIntervalSec: 42 } })
    expect(doc.recoveries).toHaveLength(40)
  })

  it('tells the command-line user what failed and what to do, exit 1, with nothing changed or left behind', async () => {
    const root = tempDir()
    const home = join(root, 'home')
    mkdirSync(join(root, 'a'))
    writeLogin(join(root, 'a'))
    const env = { ...process.env, AUTH_POOL_HOME: home, HOME: root }
    expect((await runCli(['accounts', 'add', '--name', 'a', '--config-dir', join(root, 'a')], env)).code).toBe(0)
    const before = readFileSync(join(home, 'state.json'), 'utf8')
    // 1 kB: the state file (about 1.5 kB) does not fit.
    const allocate = nodeUnderLimit(1, [CLI, 'allocate', '--json'], env)
    expect(allocate.status).toBe(1)
    expect(JSON.parse(allocate.stdout).error).toEqual({
      code: 'STORE_IO',
      message: expect.stringMatching(
        /^could not use the state folder .*home \(EFBIG: .*\); nothing was changed: .*free some space/,
      ),
    })
    expect(allocate.stderr).toMatch(/^auth-pool: could not use the state folder/)
    expect(readFileSync(join(home, 'state.json'), 'utf8')).toBe(before)
    expect(leftovers(home)).toEqual([])
  })

  it('says what to do for each way a file system refuses, and leaves other errors alone', () => {
    const refusal = (code: string) =>
      (StoreIoError.from(Object.assign(new Error(`${code}: refused`), { code }), '/state') as Error).message
    expect(refusal('EACCES')).toMatch(/may write to it, or set AUTH_POOL_HOME/)
    expect(refusal('EROFS')).toMatch(/read-only; set AUTH_POOL_HOME/)
    expect(refusal('ENOSPC')).toMatch(/disk is full/)
    const other = new TypeError('a bug')
    expect(StoreIoError.from(other, '/state')).toBe(other)
  })

  it('still reports usage when its index cannot be written, and says so in the diagnostics', async () => {
    const root = tempDir()
    const home = join(root, 'home')
    const env = { ...process.env, AUTH_POOL_HOME: home, HOME: root }
    // Two accounts: a first start reads them on two threads, the worker's index write fails too.
    for (const name of ['a', 'b']) {
      const lines = Array.from({ length: 300 }, (_, i) =>
        assistantLine({
          time: new Date(Date.now() - i * 60_000),
          messageId: `m${name}${i}`,
          requestId: `r${i}`,
          input: 10,
        }),
      )
      appendLines(join(root, name, 'projects', '-p', 'session.jsonl'), lines)
      expect((await runCli(['accounts', 'add', '--name', name, '--config-dir', join(root, name)], env)).code).toBe(0)
    }
    // 8 kB: the state file fits, an index of 300 entries does not.
    const usage = nodeUnderLimit(8, [CLI, 'usage', '--json'], env)
    expect(usage.status, usage.stderr).toBe(0)
    const report = JSON.parse(usage.stdout) as {
      accounts: {
        name: string
        week: { tokens: { input: number } }
        diagnostics: { skippedLines: { error: string }[] }
      }[]
    }
    for (const account of report.accounts) {
      expect(account.week.tokens.input, account.name).toBe(3000)
      expect(account.diagnostics.skippedLines.map((l) => l.error)).toEqual([
        expect.stringMatching(/^the usage index could not be saved \(EFBIG/),
      ])
    }
    expect(leftovers(join(home, 'usage-index'))).toEqual([])
  })
})
