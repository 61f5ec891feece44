// The real Claude Code CLI, interactive in tmux under a subscription login, on an account whose status
// line is `auth-pool statusline`: the figures it passes are the pool's, and the user's own line still prints.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CLAUDE } from './helpers/claude'
import { startFakeAnthropic } from './helpers/fakeAnthropic'
import { runCli } from './helpers/processes'
import { tempDir } from './helpers/tempDir'
import { serverUsagePath } from '../src/main/usage/serverUsageFile'

const tmux = spawnSync('tmux', ['-V']).status === 0
if (!tmux) console.log('statusline under the real Claude Code: skipped, tmux is not installed (.ci/run installs it)')
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Resolves once `file` exists and `test` holds for its text, on the folder's change events; rejects after `ms`. */
function whenFile(file: string, test: (text: string) => boolean, ms: number, what: string): Promise<string> {
  const read = () => (existsSync(file) ? readFileSync(file, 'utf8') : '')
  return new Promise((resolve, reject) => {
    const check = () => {
      const text = read()
      if (!test(text)) return
      done()
      resolve(text)
    }
    const watcher = watch(join(file, '..'), check)
    const timer = setTimeout(() => {
      done()
      reject(new Error(`${what}: not seen within ${ms / 1000} s; the file held: ${read().slice(-600)}`))
    }, ms)
    const done = () => {
      watcher.close()
      clearTimeout(timer)
    }
    check()
  })
}

describe.skipIf(!tmux)('auth-pool statusline under the real Claude Code (tmux)', () => {
  it("records the rate limits Claude Code passes, and the user's own status line still prints", async () => {
    const fiveReset = Math.floor(Date.now() / 1000) + 2 * 3600
    const sevenReset = Math.floor(Date.now() / 1000) + 4 * 86_400
    const server = await startFakeAnthropic(() => ({
      kind: 'reply',
      text: 'hello from the fake',
      usage: { input_tokens: 12, output_tokens: 6 },
      // What a subscription's answers carry; Claude Code turns them into `rate_limits` for the status line.
      headers: {
        'anthropic-ratelimit-unified-status': 'allowed',
        'anthropic-ratelimit-unified-5h-utilization': '0.42',
        'anthropic-ratelimit-unified-5h-reset': String(fiveReset),
        'anthropic-ratelimit-unified-7d-utilization': '0.18',
        'anthropic-ratelimit-unified-7d-reset': String(sevenReset),
      },
    }))
    cleanups.push(() => server.close())
    const root = tempDir('tmux-')
    const configDir = join(root, 'account')
    const work = join(root, 'work')
    const home = join(root, 'home')
    for (const d of [configDir, work]) mkdirSync(d)
    // Onboarding done and the folder trusted, as a user who has used Claude Code there before.
    writeFileSync(
      join(configDir, '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        oauthAccount: { emailAddress: 'dev@example.com' },
        projects: { [work]: { hasTrustDialogAccepted: true } },
      }),
    )
    // The user's own status line: it says it ran, in the pane and in a file.
    const marker = join(root, 'mine.txt')
    const mine = join(root, 'my-line.sh')
    writeFileSync(mine, `#!/bin/sh\ncat >/dev/null\necho ran >> '${marker}'\necho MY-OWN-LINE\n`, { mode: 0o755 })
    writeFileSync(join(configDir, 'settings.json'), JSON.stringify({ statusLine: { type: 'command', command: mine } }))
    mkdirSync(join(home, 'server-usage'), { recursive: true }) // watched below before anything is written
    const env = { AUTH_POOL_HOME: home, HOME: root }
    expect((await runCli(['accounts', 'add', '--name', 'work', '--config-dir', configDir], env)).code).toBe(0)
    const on = await runCli(['accounts', 'set', 'work', '--statusline', 'on'], env)
    expect(on.code, on.stderr).toBe(0)

    const socket = `auth-pool-${process.pid}-${Date.now()}`
    const tmuxRun = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' })
    cleanups.push(() => tmuxRun('kill-server'))
    const pane = join(root, 'pane.txt')
    const claudeEnv = {
      ...env,
      CLAUDE_CONFIG_DIR: configDir,
      ANTHROPIC_BASE_URL: server.url,
      CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-tmux-test-dummy',
      DISABLE_AUTOUPDATER: '1',
      PATH: process.env.PATH ?? '',
    }
    const exports = Object.entries(claudeEnv)
      .map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`)
      .join(' ')
    const started = tmuxRun(
      'new-session',
      '-d',
      '-s',
      'claude',
      '-x',
      '160',
      '-y',
      '40',
      '-c',
      work,
      `env -i ${exports} TERM=xterm-256color '${CLAUDE}'`,
    )
    expect(started.status, started.stderr).toBe(0)
    tmuxRun('pipe-pane', '-t', 'claude', '-o', `cat >> '${pane}'`)
    // Claude Code takes input once it has drawn its prompt's footer (⏵⏵ …); the first answer brings the limits.
    await whenFile(pane, (t) => t.includes('⏵⏵'), 30_000, "Claude Code's prompt")
    tmuxRun('send-keys', '-t', 'claude', 'say hello', 'Enter')

    await whenFile(
      serverUsagePath(home, configDir),
      (t) => t.includes('"percent":42'),
      30_000,
      'the recorded 5-hour figure',
    )
    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as {
      accounts: {
        standing: { basis: string; server: Record<string, { percent: number; resetsAt: string; source: string }> }
      }[]
    }
    const standing = status.accounts[0]!.standing
    expect(standing.basis).toBe('server')
    expect(standing.server.fiveHour).toMatchObject({
      percent: 42,
      source: 'statusline',
      resetsAt: new Date(fiveReset * 1000).toISOString(),
    })
    expect(standing.server.sevenDay).toMatchObject({ percent: 18, resetsAt: new Date(sevenReset * 1000).toISOString() })
    // The user's own command ran with the render's input, and its line is what the pane shows.
    await whenFile(marker, (t) => t.includes('ran'), 10_000, "the user's own status line")
    await whenFile(pane, (t) => t.includes('MY-OWN-LINE'), 10_000, "the user's own line in the pane")
  }, 120_000)
})
