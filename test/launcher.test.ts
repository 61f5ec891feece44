import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, renameSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CLAUDE } from './helpers/claude'
import { startFakeAnthropic, type FakeBehaviour } from './helpers/fakeAnthropic'
import { CLI, collect, runCli } from './helpers/processes'
import { tempDir } from './helpers/tempDir'
import { writeLogin } from './helpers/accounts'

const USAGE = {
  input_tokens: 2100,
  output_tokens: 400,
  cache_creation_input_tokens: 1000,
  cache_read_input_tokens: 9000,
}
const servers: Awaited<ReturnType<typeof startFakeAnthropic>>[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

/** Two accounts in temp dirs, a fake API, and the auth-pool CLI wired to the real Claude Code. */
async function setup(behaviour: () => FakeBehaviour = () => ({ kind: 'reply', text: 'done', usage: USAGE })) {
  const server = await startFakeAnthropic(behaviour)
  servers.push(server)
  const root = tempDir('launch-')
  const dirs = { a: join(root, 'account-a'), b: join(root, 'account-b'), work: join(root, 'my_work.dir') } // '.' and '_' test Claude Code's project slug
  for (const dir of Object.values(dirs)) mkdirSync(dir)
  const env = {
    AUTH_POOL_HOME: join(root, 'home'),
    AUTH_POOL_CLAUDE: CLAUDE,
    ANTHROPIC_BASE_URL: server.url,
    ANTHROPIC_API_KEY: 'sk-ant-test-dummy',
    DISABLE_AUTOUPDATER: '1',
  }
  const cli = (...args: string[]) => runCli(args, env)
  expect((await cli('accounts', 'add', '--name', 'A', '--config-dir', dirs.a, '--priority', '1')).code).toBe(0)
  expect((await cli('accounts', 'add', '--name', 'B', '--config-dir', dirs.b)).code).toBe(0)
  const run = (...args: string[]) =>
    cli(
      'run',
      '--cwd',
      dirs.work,
      '--keep-api-key',
      '--',
      '-p',
      'say hi',
      '--output-format',
      'json',
      '--model',
      'claude-sonnet-4-5',
      ...args,
    )
  return { server, root, dirs, env, cli, run }
}

const transcriptsIn = (dir: string) => {
  try {
    return readdirSync(join(dir, 'projects'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl'))
  } catch {
    return []
  }
}

describe('auth-pool run with the real Claude Code', () => {
  it('runs on the chosen account, records and ends the session, and the usage lands on that account', async () => {
    const { dirs, cli, run } = await setup()
    const result = await run()
    expect(result.code, result.stderr).toBe(0)
    const printed = JSON.parse(result.stdout) as { total_cost_usd: number; session_id: string }
    expect(transcriptsIn(dirs.a)).toHaveLength(1)
    expect(transcriptsIn(dirs.b)).toHaveLength(0)
    const sessions = JSON.parse((await cli('sessions', '--json')).stdout) as {
      accountId: string
      status: string
      pid: number | null
      cwd: string
    }[]
    expect(sessions).toHaveLength(1)
    expect(sessions[0]).toMatchObject({ status: 'ended', cwd: dirs.work })
    expect(sessions[0]!.pid).toBeGreaterThan(0)
    const usage = JSON.parse((await cli('usage', '--json', '--account', 'A')).stdout) as {
      accounts: { name: string; blocks: { costUsd: number; tokens: { input: number; output: number } }[] }[]
    }
    const a = usage.accounts[0]!
    expect(a.name).toBe('A')
    expect(a.blocks.reduce((n, b) => n + b.tokens.input, 0)).toBe(USAGE.input_tokens)
    expect(a.blocks.reduce((n, b) => n + b.costUsd, 0)).toBeCloseTo(printed.total_cost_usd, 6)
  })

  it('moves to the second account when the first has used its block budget, and says so', async () => {
    const { dirs, cli, run } = await setup()
    expect((await cli('accounts', 'set', 'A', '--block-budget-usd', '0.01')).code).toBe(0)
    expect((await run()).code).toBe(0) // A is idle, so it takes this one and spends past its budget
    const second = await run()
    expect(second.code, second.stderr).toBe(0)
    expect(second.stderr).toMatch(/this folder's account A is unavailable \(5-hour budget used\); using B instead/)
    expect(transcriptsIn(dirs.b)).toHaveLength(1)
  })

  it("--continue goes to the account holding this folder's last conversation", async () => {
    const { dirs, cli, run } = await setup()
    expect(
      (
        await cli(
          'run',
          '--account',
          'B',
          '--cwd',
          dirs.work,
          '--keep-api-key',
          '--',
          '-p',
          'first',
          '--output-format',
          'json',
          '--model',
          'claude-sonnet-4-5',
        )
      ).code,
    ).toBe(0)
    expect((await cli('prefer', 'A')).code).toBe(0)
    const continued = await run('--continue')
    expect(continued.code, continued.stderr).toBe(0)
    expect(transcriptsIn(dirs.a)).toHaveLength(0)
    expect(transcriptsIn(dirs.b).length).toBeGreaterThanOrEqual(1)
    const sessions = JSON.parse((await cli('sessions', '--json')).stdout) as { accountId: string }[]
    const accounts = JSON.parse((await cli('accounts', 'list', '--json')).stdout) as { id: string; name: string }[]
    const b = accounts.find((x) => x.name === 'B')!.id
    expect(sessions.every((s) => s.accountId === b)).toBe(true)
  })

  it("lists Claude Code's conversation id to resume, which stays on its account: refused, or a new conversation elsewhere when asked", async () => {
    const { dirs, cli, run } = await setup()
    const first = await run()
    expect(first.code, first.stderr).toBe(0)
    const { session_id: conversation } = JSON.parse(first.stdout) as { session_id: string }
    expect(transcriptsIn(dirs.a)).toEqual([expect.stringMatching(new RegExp(`${conversation}\\.jsonl$`))])
    const listed = await cli('sessions')
    expect(listed.stdout).toMatch(new RegExp(`^${conversation}  A  ended  started `))
    expect(JSON.parse((await cli('sessions', '--json')).stdout)[0]).toMatchObject({ conversationId: conversation })
    // Resumed on its account while that has headroom: the same conversation, recorded as such.
    const resumed = await run('--resume', conversation)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(transcriptsIn(dirs.a)).toHaveLength(1)
    expect(JSON.parse((await cli('sessions', '--json')).stdout)[0]).toMatchObject({ conversationId: conversation })
    // Now A is over its budget: the conversation cannot follow the user to B.
    expect((await cli('accounts', 'set', 'A', '--block-budget-usd', '0.01')).code).toBe(0)
    const refused = await run('--resume', conversation)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      new RegExp(
        `^auth-pool: conversation ${conversation} is on A, which is unavailable until \\d\\d:\\d\\d( [AP]M)?( tomorrow)? \\(5-hour budget used\\); a conversation cannot move to another account: wait, or pass --any-account`,
      ),
    )
    const moved = await cli(
      'run',
      '--any-account',
      '--cwd',
      dirs.work,
      '--keep-api-key',
      '--',
      '-p',
      'again',
      '--resume',
      conversation,
      '--output-format',
      'json',
      '--model',
      'claude-sonnet-4-5',
    )
    expect(moved.code, moved.stderr).toBe(0)
    expect(moved.stderr).toMatch(
      new RegExp(
        `conversation ${conversation} stays on A, which is unavailable until .*; starting a new conversation on B`,
      ),
    )
    const fresh = (JSON.parse(moved.stdout) as { session_id: string }).session_id
    expect(fresh).not.toBe(conversation)
    expect(transcriptsIn(dirs.b)).toEqual([expect.stringMatching(new RegExp(`${fresh}\\.jsonl$`))])
  })

  it('warns in one line when the account it starts on is near its limit, and says what the rules raise once', async () => {
    const { cli, dirs, run } = await setup()
    const runOnA = () =>
      cli(
        'run',
        '--account',
        'A',
        '--cwd',
        dirs.work,
        '--keep-api-key',
        '--',
        '-p',
        'hi',
        '--model',
        'claude-sonnet-4-5',
      )
    // One run costs about $0.019 here: against a $0.02 budget that is 90-100%, near the limit.
    expect((await cli('accounts', 'set', 'A', '--block-budget-usd', '0.02')).code).toBe(0)
    const first = await run()
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toMatch(/^auth-pool: A at 90% of its 5-hour window: /m)
    const second = await runOnA()
    expect(second.stderr).toMatch(/^auth-pool: A is near its limit \(5-hour window 9\d%, week \d+%\)$/m)
    expect(second.stderr).not.toMatch(/at 90% of its 5-hour window/) // said once
    // The picked account passed over for this folder's is said, as much as Auto passing it over.
    expect((await cli('prefer', 'B')).code).toBe(0)
    expect((await cli('accounts', 'set', 'A', '--block-budget-usd', '0.01')).code).toBe(0)
    const third = await run()
    expect(third.stderr).toMatch(/this folder's account A is unavailable \(5-hour budget used\); using B/)
    const explicit = await runOnA()
    expect(explicit.stderr).toMatch(/^auth-pool: A is limited until .* \(5-hour budget used\)$/m)
  })

  it("passes Claude Code's exit code through", async () => {
    const { run } = await setup()
    const result = await run('--no-such-flag-for-claude')
    expect(result.code).not.toBe(0)
    const direct = await collect(spawn(CLAUDE, ['--no-such-flag-for-claude'], { stdio: ['ignore', 'pipe', 'pipe'] }))
    expect(result.code).toBe(direct.code)
  })

  it('runs a subcommand or --version on the picked account without recording a session or needing a login', async () => {
    const { dirs, env, cli } = await setup()
    const noLogin = { ...env, ANTHROPIC_API_KEY: '' } // neither a stored login nor a key: a conversation is refused
    const version = await runCli(['run', '--cwd', dirs.work, '--', '--version'], noLogin)
    expect(version.code, version.stderr).toBe(0)
    expect(version.stdout).toBe(
      (await collect(spawn(CLAUDE, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] }))).stdout,
    )
    // `mcp add` writes to the config directory Claude Code runs with: the picked account's (A, priority 1).
    const added = await runCli(
      ['run', '--cwd', dirs.work, '--', 'mcp', 'add', '-s', 'user', 'probe', '--', 'true'],
      noLogin,
    )
    expect(added.code, added.stderr).toBe(0)
    const listed = await runCli(['run', '--account', 'A', '--cwd', dirs.work, '--', 'mcp', 'list'], noLogin)
    expect(listed.stdout).toMatch(/probe/)
    const onB = await runCli(['run', '--account', 'B', '--cwd', dirs.work, '--', 'mcp', 'list'], noLogin)
    expect(onB.stdout).not.toMatch(/probe/)
    const failing = await runCli(['run', '--cwd', dirs.work, '--', 'mcp', 'get', 'no-such-server'], noLogin)
    const direct = await collect(
      spawn(CLAUDE, ['mcp', 'get', 'no-such-server'], {
        env: { ...process.env, CLAUDE_CONFIG_DIR: dirs.a },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    )
    expect(failing.code).toBe(direct.code)
    expect(failing.code).not.toBe(0)
    expect(JSON.parse((await cli('sessions', '--json')).stdout)).toEqual([])
    expect((await runCli(['run', '--cwd', dirs.work, '--', '-p', 'hi'], noLogin)).stderr).toMatch(
      /no account is available \(A: not logged in to Claude, B: not logged in to Claude\); log in with `auth-pool login A` or `auth-pool login B`/,
    )
  })

  it('forwards SIGINT and SIGTERM to a running Claude Code and exits as it does', async () => {
    const { dirs, env, server } = await setup(() => ({ kind: 'stall' }))
    const claudeArgs = ['-p', 'wait', '--model', 'claude-sonnet-4-5']
    /** Starts a process, waits until its request is stalled at the fake API, then sends it `signal`. */
    const interrupt = async (
      command: string,
      args: string[],
      signal: NodeJS.Signals,
      cwd: string,
      extraEnv: NodeJS.ProcessEnv,
    ) => {
      const before = server.requests.filter((r) => r.path.endsWith('/v1/messages')).length
      const child = spawn(command, args, {
        cwd,
        env: { ...process.env, ...env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const done = collect(child)
      const started = Date.now()
      while (
        server.requests.filter((r) => r.path.endsWith('/v1/messages')).length === before &&
        Date.now() - started < 30_000
      )
        await new Promise((r) => setTimeout(r, 50))
      child.kill(signal)
      const result = await done
      return { ...result, ms: Date.now() - started }
    }
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      // What Claude Code itself does with the signal, run directly on account A's directory…
      const direct = await interrupt(CLAUDE, claudeArgs, signal, dirs.work, { CLAUDE_CONFIG_DIR: dirs.a })
      // …is what the launcher does when it receives the signal and forwards it.
      const launched = await interrupt(
        process.execPath,
        [CLI, 'run', '--cwd', dirs.work, '--keep-api-key', '--', ...claudeArgs],
        signal,
        dirs.work,
        {},
      )
      const expected = direct.signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : direct.code
      expect(launched.signal).toBeNull()
      expect(launched.code).toBe(expected)
      expect(launched.ms).toBeLessThan(25_000) // it stopped on the signal, not on a timeout
      console.log(`${signal}: claude exits ${direct.signal ?? direct.code}, launcher exits ${launched.code}`)
    }
    const sessions = JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { status: string }[]
    expect(sessions.every((s) => s.status === 'ended')).toBe(true)
  })

  it('shows an account as limited until the reset a usage-limit 429 announced', async () => {
    const resetsAt = Math.floor(Date.now() / 1000) + 3 * 3600
    const { dirs, env } = await setup(() => ({ kind: 'rate_limit', resetsAt }))
    for (const dir of [dirs.a, dirs.b]) writeLogin(dir) // `env` sets up a plain claude: it needs a login
    // Subscription mode (an OAuth token) is what makes Claude Code read the limit headers.
    const subscriptionEnv = { ...env, ANTHROPIC_API_KEY: '', CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-test-dummy' }
    const result = await runCli(
      ['run', '--account', 'A', '--cwd', dirs.work, '--', '-p', 'hi', '--model', 'claude-sonnet-4-5'],
      subscriptionEnv,
    )
    expect(result.code).not.toBe(0)
    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as {
      accounts: { name: string; standing: { status: string; freesAt: string } }[]
    }
    expect(status.accounts.find((a) => a.name === 'A')!.standing).toMatchObject({
      status: 'limited',
      freesAt: new Date(resetsAt * 1000).toISOString(),
    })
    const next = await runCli(['env', '--json', '--cwd', dirs.work], env)
    expect(JSON.parse(next.stdout).account.name).toBe('B')
  })

  it('eval "$(auth-pool env --account B)" puts a plain claude on B', async () => {
    const { dirs, env } = await setup()
    const script = `eval "$("${process.execPath}" "${CLI}" env --account B)" && "${CLAUDE}" -p hi --output-format json --model claude-sonnet-4-5`
    const result = await collect(
      spawn('bash', ['-c', script], {
        cwd: dirs.work,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    )
    expect(result.code, result.stderr).toBe(0)
    expect(transcriptsIn(dirs.b)).toHaveLength(1)
    expect(transcriptsIn(dirs.a)).toHaveLength(0)
  })

  it('refuses clearly without a login, without claude, or with an exhausted pool', async () => {
    const { cli, dirs, env } = await setup()
    const noLogin = await runCli(['run', '--cwd', dirs.work, '--', '-p', 'hi'], { ...env, ANTHROPIC_API_KEY: '' })
    expect(noLogin.code).toBe(1)
    expect(noLogin.stderr).toMatch(/no account is available .*; log in with `auth-pool login A` or `auth-pool login B`/)
    const named = await runCli(['run', '--account', 'A', '--cwd', dirs.work, '--', '-p', 'hi'], {
      ...env,
      ANTHROPIC_API_KEY: '',
    })
    expect(named.code).toBe(1)
    expect(named.stderr).toMatch(/account A has no Claude login in .*account-a; run `auth-pool login A` first/)
    const noClaude = await runCli(['run', '--cwd', dirs.work, '--keep-api-key', '--', '-p', 'hi'], {
      ...env,
      AUTH_POOL_CLAUDE: join(dirs.work, 'missing-claude'),
    })
    expect(noClaude.code).toBe(2)
    expect(noClaude.stderr).toMatch(/missing-claude \(from AUTH_POOL_CLAUDE\) is not an executable file/)
    await cli('accounts', 'set', 'A', '--disable')
    await cli('accounts', 'set', 'B', '--disable')
    const exhausted = await runCli(['run', '--cwd', dirs.work, '--keep-api-key', '--', '-p', 'hi'], env)
    expect(exhausted.code).toBe(1)
    expect(exhausted.stderr).toMatch(/no account is available/)
    for (const r of [noLogin, named, noClaude, exhausted]) expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it("keeps Claude Code's exit code when the session's end cannot be recorded, and reconcile ends it later", async () => {
    const { root, dirs, env, cli } = await setup()
    // Stands in for Claude Code here: the state file's trouble is what is tested. Once the launcher has
    // recorded its pid, it puts a folder where the state file was (the file system then refuses every
    // write of it), and exits 7.
    const home = env.AUTH_POOL_HOME
    const fake = join(root, 'claude-that-breaks-the-state')
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        `until grep -q '"pid":'$$ '${home}/state.json'; do sleep 0.02; done`,
        `mv '${home}/state.json' '${home}/state.json.away' && mkdir '${home}/state.json'`,
        'exit 7',
      ].join('\n'),
      { mode: 0o755 },
    )
    const result = await runCli(['run', '--cwd', dirs.work, '--keep-api-key', '--', '-p', 'hi'], {
      ...env,
      AUTH_POOL_CLAUDE: fake,
    })
    expect(result.code).toBe(7)
    expect(result.stderr).toMatch(
      /could not record the end of the session \(could not use the state folder .*EISDIR.*\); the next reconcile ends it/,
    )
    expect(result.stderr).not.toMatch(/\n\s+at /)
    // With the state file back, the session is still active with its (dead) pid, and reconcile ends it.
    rmdirSync(join(home, 'state.json'))
    renameSync(join(home, 'state.json.away'), join(home, 'state.json'))
    expect(JSON.parse((await cli('sessions', '--active', '--json')).stdout)).toHaveLength(1)
    expect((await cli('reconcile')).code).toBe(0)
    expect(JSON.parse((await cli('sessions', '--active', '--json')).stdout)).toHaveLength(0)
  })

  it('warns and drops an API key unless --keep-api-key', async () => {
    const { dirs, env } = await setup()
    const result = await runCli(['run', '--cwd', dirs.work, '--', '-p', 'hi', '--model', 'claude-sonnet-4-5'], env)
    expect(result.stderr).toMatch(
      /ANTHROPIC_API_KEY set: Claude Code would bill the API, not the subscription; removed for this session/,
    )
    expect(result.code).toBe(1) // without the key, no account has a login
  })
})
