// Claude's own figures through the command line: the usage endpoint asked gently, the status line
// command, the default account, and only usable accounts picked.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeCredentials, writeLogin } from './helpers/accounts'
import { startFakeAnthropic, type UsageEndpointAnswer } from './helpers/fakeAnthropic'
import { CLI, runCli } from './helpers/processes'
import { tempDir } from './helpers/tempDir'

const TOKEN = 'sk-ant-oat01-cli-test-token-abcdefghijklmnop'
const servers: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

async function setup(answer: () => UsageEndpointAnswer = () => ({ status: 200, body: {} })) {
  const server = await startFakeAnthropic(() => ({ kind: 'stall' }), { usageEndpoint: answer })
  servers.push(server)
  const root = tempDir('server-usage-')
  const env = { AUTH_POOL_HOME: join(root, 'home'), HOME: root, AUTH_POOL_API_BASE_URL: server.url }
  const dir = (name: string) => {
    const path = join(root, name)
    mkdirSync(path, { recursive: true })
    return path
  }
  const cli = (...args: string[]) => runCli(args, env)
  const usageRequests = () => server.requests.filter((r) => r.path === '/api/oauth/usage')
  return { server, root, env, dir, cli, usageRequests }
}

/** Every file under a folder, read whole. */
const everyFile = (dir: string) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n')

type StatusJson = {
  availableCount: number
  autoPick: { name: string } | null
  accounts: {
    name: string
    standing: {
      status: string
      basis: string
      blockRatio: number
      login: string
      server: { fiveHour: { percent: number; source: string } | null; problem: string | null } | null
    }
  }[]
}

describe('the usage endpoint, from the command line', () => {
  it("shows Claude's figures in status and usage --json, asking once per interval, the token never shown or kept", async () => {
    const resets = new Date(Date.now() + 2 * 3_600_000).toISOString()
    const t = await setup(() => ({
      status: 200,
      body: {
        five_hour: { utilization: 37, resets_at: resets },
        seven_day: { utilization: 12, resets_at: resets },
        seven_day_opus: null,
        seven_day_sonnet: null,
      },
    }))
    const work = t.dir('work')
    writeCredentials(work, { accessToken: TOKEN, expiresAt: Date.now() + 3_600_000 })
    expect((await t.cli('accounts', 'add', '--name', 'work', '--config-dir', work)).code).toBe(0)
    const status = await t.cli('status', '--json')
    const usage = await t.cli('usage', '--json')
    const text = await t.cli('status')
    expect(t.usageRequests()).toHaveLength(1)
    expect(t.usageRequests()[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`)
    const account = (JSON.parse(status.stdout) as StatusJson).accounts[0]!
    expect(account.standing).toMatchObject({
      basis: 'server',
      blockRatio: 0.37,
      server: { fiveHour: { percent: 37, source: 'endpoint' }, problem: null },
    })
    expect(JSON.parse(usage.stdout).accounts[0].server).toMatchObject({ sevenDay: { percent: 12 } })
    expect(text.stdout).toMatch(/work \(pro\) — 5h 37% · week 12% \(Claude\)/)
    expect(text.stdout).toMatch(/Claude: 5h 37% \(resets in (1 h 59|2 h 0) min\) · week 12% · as of just now/)
    for (const r of [status, usage, text]) expect(r.stdout + r.stderr).not.toContain(TOKEN.slice(-16))
    expect(everyFile(t.env.AUTH_POOL_HOME)).not.toContain(TOKEN.slice(-16))
    expect(t.server.requests.every((r) => r.path === '/api/oauth/usage')).toBe(true) // never a refresh
  })

  it('does not wait long for a slow endpoint, and says so beside the local estimate', async () => {
    const t = await setup(() => ({ status: 200, stall: true }))
    const work = t.dir('work')
    writeCredentials(work, { accessToken: TOKEN, expiresAt: Date.now() + 3_600_000 })
    await t.cli('accounts', 'add', '--name', 'work', '--config-dir', work)
    const status = await t.cli('status')
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/\(estimate\)/)
    expect(status.stdout).toMatch(/Claude's figures: the usage endpoint did not answer within 3 s/)
    expect(t.usageRequests()).toHaveLength(1)
  })
})

describe('auth-pool statusline', () => {
  const input = (configDir: string, five: number, seven: number) =>
    JSON.stringify({
      session_id: 's',
      transcript_path: join(configDir, 'projects', '-p', 's.jsonl'),
      cwd: '/tmp',
      model: { id: 'claude-sonnet-4-5', display_name: 'Sonnet 4.5' },
      rate_limits: {
        five_hour: { used_percentage: five, resets_at: Math.floor(Date.now() / 1000) + 3600 },
        seven_day: { used_percentage: seven, resets_at: Math.floor(Date.now() / 1000) + 86_400 },
      },
    })
  const statusline = (env: NodeJS.ProcessEnv, stdin: string) =>
    spawnSync(process.execPath, [CLI, 'statusline'], {
      env: { ...process.env, ...env },
      input: stdin,
      encoding: 'utf8',
    })

  it('records what Claude Code passes, for the account it belongs to, and the pool decides on it', async () => {
    const t = await setup()
    const a = t.dir('a')
    const b = t.dir('b')
    for (const d of [a, b]) writeLogin(d)
    await t.cli('accounts', 'add', '--name', 'a', '--config-dir', a, '--priority', '5')
    await t.cli('accounts', 'add', '--name', 'b', '--config-dir', b)
    // By CLAUDE_CONFIG_DIR, as `auth-pool run` starts Claude Code; by the transcript's path otherwise.
    const onA = statusline({ ...t.env, CLAUDE_CONFIG_DIR: a }, input(a, 96, 40))
    expect(onA.status).toBe(0)
    expect(onA.stdout).toBe('a · 5h 96% (resets 1 h 0 min) · 7d 40%\n')
    expect(statusline(t.env, input(b, 20, 10)).stdout).toMatch(/^b · 5h 20%/)
    const status = JSON.parse((await t.cli('status', '--json')).stdout) as StatusJson
    expect(status.accounts.map((x) => [x.name, x.standing.server?.fiveHour?.percent, x.standing.status])).toEqual([
      ['a', 96, 'near_limit'],
      ['b', 20, 'available'],
    ])
    expect(status.autoPick?.name).toBe('b') // a has the priority, but Claude says it is nearly used up
  })

  it('never breaks the render: bad input goes to the log, not the status line', async () => {
    const t = await setup()
    for (const bad of ['not json', '[1,2]', '{"rate_limits": {"five_hour": {"used_percentage": "high"}}}', '']) {
      const run = statusline(t.env, bad)
      expect(run.status).toBe(0)
      expect(run.stderr).toBe('')
      expect(run.stdout).not.toMatch(/error|JSON|undefined|NaN/i)
    }
    const log = readFileSync(join(t.env.AUTH_POOL_HOME, 'auth-pool.log'), 'utf8')
    expect(log).toMatch(/statusline: the status line input was not JSON/)
    expect(log).toMatch(/statusline: the status line input was not a JSON object/)
  })

  it("is installed with --statusline on, runs the user's own line meanwhile, and --statusline off leaves settings.json as it was", async () => {
    const t = await setup()
    const a = t.dir('a')
    writeLogin(a)
    const mine = join(t.root, 'my line.sh')
    writeFileSync(mine, '#!/bin/sh\nread -r json; echo "mine: ${#json} bytes"\n', { mode: 0o755 })
    const settings = `{\n  "model": "opus",\n  "statusLine": { "type": "command", "command": "'${mine}'" },\n  "x-unknown": [1, {"y": null}]\n}\n`
    writeFileSync(join(a, 'settings.json'), settings)
    await t.cli('accounts', 'add', '--name', 'a', '--config-dir', a)
    const on = await t.cli('accounts', 'set', 'a', '--statusline', 'on')
    expect(on.code, on.stderr).toBe(0)
    expect(on.stdout).toMatch(
      /reports its 5-hour and weekly usage to Auth Pool; your own status line \('.*my line\.sh'\) still prints/,
    )
    const installed = JSON.parse(readFileSync(join(a, 'settings.json'), 'utf8'))
    expect(installed).toMatchObject({ model: 'opus', 'x-unknown': [1, { y: null }] })
    expect(installed.statusLine.command).toBe(`'${CLI}' statusline`)
    // The command as Claude Code runs it: by the shell, with the JSON on stdin.
    const stdin = input(a, 42, 18)
    const rendered = spawnSync('sh', ['-c', installed.statusLine.command], {
      env: { ...process.env, ...t.env, CLAUDE_CONFIG_DIR: a },
      input: stdin,
      encoding: 'utf8',
    })
    expect(rendered.stdout).toBe(`mine: ${stdin.length} bytes\n`)
    expect(
      (JSON.parse((await t.cli('status', '--json')).stdout) as StatusJson).accounts[0]!.standing.server,
    ).toMatchObject({ fiveHour: { percent: 42 } })
    const off = await t.cli('accounts', 'set', 'a', '--statusline', 'off')
    expect(off.stdout).toBe("a's status line is back as it was\n")
    expect(readFileSync(join(a, 'settings.json'), 'utf8')).toBe(settings)
    const bad = await t.cli('accounts', 'set', 'a', '--statusline', 'maybe')
    expect(bad).toMatchObject({ code: 2 })
    expect(bad.stderr).toMatch(/--statusline must be one of on, off, got "maybe"/)
  })
})

describe("Claude Code's default directory", () => {
  it('runs with CLAUDE_CONFIG_DIR unset, and its login is read from ~/.claude.json', async () => {
    const t = await setup()
    const home = t.root // HOME for the CLI and the shells below
    mkdirSync(join(home, '.claude'))
    writeFileSync(join(home, '.claude.json'), JSON.stringify({ oauthAccount: { emailAddress: 'me@example.com' } }))
    expect((await t.cli('accounts', 'add', '--name', 'main', '--config-dir', '~/.claude')).code).toBe(0)
    const status = JSON.parse((await t.cli('status', '--json')).stdout) as StatusJson
    expect(status.accounts[0]!.standing).toMatchObject({ login: 'logged_in', status: 'available' })
    expect((await t.cli('env')).stdout).toBe('unset CLAUDE_CONFIG_DIR\n')
    expect((await t.cli('env', '--shell', 'fish')).stdout).toBe('set -e CLAUDE_CONFIG_DIR\n')
    const shell = spawnSync(
      'bash',
      [
        '-c',
        `export CLAUDE_CONFIG_DIR=/elsewhere; eval "$('${process.execPath}' '${CLI}' env)"; echo "\${CLAUDE_CONFIG_DIR-unset}"`,
      ],
      { env: { ...process.env, ...t.env }, encoding: 'utf8' },
    )
    expect(shell.stdout).toBe('unset\n')
    // `run` starts Claude Code (here a stand-in that says what it got) with the variable unset too.
    const fake = join(t.root, 'fake-claude')
    writeFileSync(fake, '#!/bin/sh\necho "CLAUDE_CONFIG_DIR=${CLAUDE_CONFIG_DIR-unset}"\n', { mode: 0o755 })
    const run = await runCli(['run', '--', '-p', 'hi'], {
      ...t.env,
      AUTH_POOL_CLAUDE: fake,
      CLAUDE_CONFIG_DIR: '/elsewhere',
    })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe('CLAUDE_CONFIG_DIR=unset\n')
  })
})
