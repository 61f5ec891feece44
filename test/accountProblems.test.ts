// One account's bad data or unreadable folders stay that account's: every command still answers for
// every account, and the problem is said on the account it belongs to.
import { chownSync, chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI, collect, ROOT, runCli } from './helpers/processes'
import { tempDir } from './helpers/tempDir'
import { appendLines, assistantLine } from './helpers/transcripts'
import { spawn } from 'node:child_process'

const recent = (minutes: number) => new Date(Date.now() - minutes * 60_000)
const transcriptOf = (dir: string) => join(dir, 'projects', '-home-dev-project', 'session-1.jsonl')

/** Every number anywhere in a JSON value. */
const numbersIn = (value: unknown): number[] =>
  typeof value === 'number'
    ? [value]
    : value && typeof value === 'object'
      ? Object.values(value).flatMap(numbersIn)
      : []

describe('an account that would break the pool', () => {
  it('prices a model named after an object property, and every figure stays finite', async () => {
    const root = tempDir()
    const env = { AUTH_POOL_HOME: join(root, 'home'), HOME: root }
    const dir = join(root, 'poisoned')
    appendLines(
      transcriptOf(dir),
      ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'claude-sonnet-4-5'].map((model, i) =>
        assistantLine({ time: recent(30 - i), model, input: 100_000, output: 10_000 }),
      ),
    )
    expect((await runCli(['accounts', 'add', '--name', 'p', '--config-dir', dir, '--plan', 'pro'], env)).code).toBe(0)
    for (const command of [
      ['status', '--json'],
      ['usage', '--json'],
      ['accounts', 'list', '--json'],
    ]) {
      const result = await runCli(command, env)
      expect(result.code, `${command.join(' ')}: ${result.stderr}`).toBe(0)
      const numbers = numbersIn(JSON.parse(result.stdout))
      expect(numbers.length).toBeGreaterThan(5)
      expect(numbers.every(Number.isFinite), command.join(' ')).toBe(true)
    }
    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as {
      accounts: { standing: { weekCostUsd: number; health: number } }[]
    }
    expect(status.accounts[0]!.standing.weekCostUsd).toBeGreaterThan(1) // counted, not 0
    expect(status.accounts[0]!.standing.health).toBeLessThan(100)
    // Text output says which figures are estimates.
    expect((await runCli(['usage'], env)).stdout).toMatch(/estimated/)
  })

  it('keeps every command working for the other accounts when one’s transcripts cannot be read, and says so on that one', async () => {
    const root = tempDir()
    const home = join(root, 'home')
    const healthy = join(root, 'healthy')
    const locked = join(root, 'locked')
    const deep = join(root, 'deep')
    appendLines(transcriptOf(healthy), [assistantLine({ time: recent(20), input: 1000, output: 100 })])
    appendLines(transcriptOf(locked), [assistantLine({ time: recent(20), input: 1000, output: 100 })])
    appendLines(transcriptOf(deep), [assistantLine({ time: recent(20), input: 1000, output: 100 })])
    // A project folder nested past what a path may be (PATH_MAX): made step by step, relative to the last.
    const start = process.cwd()
    let depth = 0
    try {
      process.chdir(join(deep, 'projects'))
      for (; depth < 20; depth++) {
        const name = `nest-${depth}-${'x'.repeat(240)}`
        mkdirSync(name)
        process.chdir(name)
      }
      writeFileSync('deep.jsonl', assistantLine({ time: recent(10), input: 5, output: 5 }) + '\n')
    } finally {
      process.chdir(start)
    }
    const env = { AUTH_POOL_HOME: home, HOME: root }
    const accounts: [string, string][] = [
      ['healthy', healthy],
      ['locked', locked],
      ['deep', deep],
    ]
    for (const [name, dir] of accounts)
      expect((await runCli(['accounts', 'add', '--name', name, '--config-dir', dir], env)).code).toBe(0)
    // Read as another user, to whom one account's projects/ folder is closed (root reads everything).
    const asNobody = process.getuid?.() === 0
    if (asNobody) {
      for (const path of [root, healthy, deep, locked]) chownSync(path, 65534, 65534)
      for (const path of [home, ...readdirSync(home, { recursive: true, encoding: 'utf8' }).map((p) => join(home, p))])
        chownSync(path, 65534, 65534)
      chmodSync(join(locked, 'projects'), 0o000)
    } else chmodSync(join(locked, 'projects'), 0o000)
    const cli = (...args: string[]) =>
      collect(
        spawn(process.execPath, [CLI, ...args], {
          cwd: ROOT,
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
          ...(asNobody ? { uid: 65534, gid: 65534 } : {}),
        }),
      )
    for (const command of [
      ['status'],
      ['sessions'],
      ['usage', '--json'],
      ['allocate', '--account', 'healthy', '--json'],
    ]) {
      const result = await cli(...command)
      expect(result.code, `${command.join(' ')}: ${result.stderr}`).toBe(0)
      expect(result.stderr, command.join(' ')).not.toMatch(/EACCES|ENAMETOOLONG/)
    }
    const status = await cli('status')
    expect(status.stdout).toMatch(
      new RegExp(
        `locked .*\\n +⚠ cannot read ${join(locked, 'projects')} \\(EACCES[^)]*\\); check that you may read it`,
      ),
    )
    expect(status.stdout).toMatch(/deep .*\n +⚠ cannot read .*nest-\d+-x+ \(ENAMETOOLONG/)
    expect(status.stdout).not.toMatch(/healthy .*\n +⚠/)
    const usage = JSON.parse((await cli('usage', '--json')).stdout) as {
      accounts: {
        name: string
        week: { tokens: { input: number } }
        diagnostics: { skippedLines: { path: string; error: string }[] }
      }[]
    }
    const byName = new Map(usage.accounts.map((a) => [a.name, a]))
    expect(byName.get('healthy')!.week.tokens.input).toBe(1000)
    expect(byName.get('deep')!.week.tokens.input).toBe(1000) // what it could read
    expect(byName.get('locked')!.diagnostics.skippedLines).toEqual([
      {
        path: join(locked, 'projects'),
        invalid: 0,
        oversized: 0,
        error: expect.stringMatching(/^this folder cannot be read \(EACCES/),
      },
    ])
    chmodSync(join(locked, 'projects'), 0o755)
  })
})
