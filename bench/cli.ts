// npm run bench:cli — how long the built command line takes, start to exit, for the commands a user
// runs all day. `auth-pool run -- --version` beside `claude --version` is what the launcher adds to
// every Claude Code start. A pool of three logged-in accounts, each with a day of transcripts;
// `node -e 0` is the floor no Node command beats.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appendLines, assistantLine } from '../test/helpers/transcripts'
import { CLAUDE } from '../test/helpers/claude'

const ROOT = join(import.meta.dirname, '..')
const CLI = join(ROOT, 'bin', 'auth-pool')
const RUNS = Number(process.env.BENCH_RUNS ?? 11)
if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) throw new Error('run `npm run build` first')

const root = mkdtempSync(join(tmpdir(), 'auth-pool-bench-cli-'))
const env = { ...process.env, AUTH_POOL_HOME: join(root, 'home'), HOME: root, AUTH_POOL_CLAUDE: CLAUDE }
const cli = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' })

for (const name of ['work', 'personal', 'spare']) {
  const dir = join(root, name)
  const start = Date.now() - 24 * 3600_000
  const lines = Array.from({ length: 400 }, (_, i) =>
    assistantLine({
      time: new Date(start + i * 200_000),
      messageId: `msg_${name}_${i}`,
      requestId: `req_${name}_${i}`,
      input: 1200,
      output: 300,
    }),
  )
  mkdirSync(join(dir, 'projects', '-home-dev-project'), { recursive: true })
  // A login as Claude Code leaves it (identity only; no token is needed for --version).
  writeFileSync(join(dir, '.claude.json'), JSON.stringify({ oauthAccount: { emailAddress: `${name}@example.com` } }))
  appendLines(join(dir, 'projects', '-home-dev-project', 'session-1.jsonl'), lines)
  cli('accounts', 'add', '--name', name, '--config-dir', dir, '--plan', 'max5')
}
cli('usage') // the first run builds the usage indexes; the figures below are of later runs, as in daily use

// `auth-pool statusline` as Claude Code runs it on every render: the JSON it passes (as the real CLI
// writes it, trimmed) on stdin, CLAUDE_CONFIG_DIR set. Once alone, once running the user's own line too.
const render = JSON.stringify({
  session_id: 'bench',
  transcript_path: join(root, 'work', 'projects', '-home-dev-project', 'session-1.jsonl'),
  cwd: root,
  model: { id: 'claude-sonnet-5-5', display_name: 'Sonnet 5.5' },
  cost: { total_cost_usd: 0.42, total_duration_ms: 6507 },
  rate_limits: {
    five_hour: { used_percentage: 42, resets_at: Math.floor(Date.now() / 1000) + 7200 },
    seven_day: { used_percentage: 18, resets_at: Math.floor(Date.now() / 1000) + 86_400 },
  },
})
const statusline = (account: string) =>
  execFileSync(process.execPath, [CLI, 'statusline'], {
    env: { ...env, CLAUDE_CONFIG_DIR: join(root, account) },
    input: render,
    encoding: 'utf8',
  })
writeFileSync(
  join(root, 'personal', 'settings.json'),
  JSON.stringify({ statusLine: { type: 'command', command: 'echo mine' } }),
)
cli('accounts', 'set', 'work', '--statusline', 'on')
cli('accounts', 'set', 'personal', '--statusline', 'on')

const commands: Record<string, () => void> = {
  'node -e 0 (the floor)': () => execFileSync(process.execPath, ['-e', '0']),
  'claude --version (directly)': () => execFileSync(CLAUDE, ['--version'], { env }),
  'auth-pool run -- --version': () => cli('run', '--', '--version'),
  'auth-pool status': () => cli('status'),
  'auth-pool env': () => cli('env'),
  'auth-pool allocate --json + release': () => {
    const { session } = JSON.parse(cli('allocate', '--cwd', root, '--json')) as { session: { id: string } }
    cli('release', session.id)
  },
  'auth-pool usage --json': () => cli('usage', '--json'),
  'auth-pool statusline (a render)': () => statusline('work'),
  'auth-pool statusline + your own line': () => statusline('personal'),
}
const times = new Map<string, number[]>(Object.keys(commands).map((k) => [k, []]))
// Interleaved, so a slow phase of this VM lands on every command alike.
for (let i = 0; i < RUNS; i++)
  for (const [name, run] of Object.entries(commands)) {
    const t = performance.now()
    run()
    times.get(name)!.push(performance.now() - t)
  }
rmSync(root, { recursive: true, force: true })

const at = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
console.log(`command line, start to exit (${RUNS} runs each, interleaved; allocate + release is two processes):`)
for (const [name, list] of times) {
  const sorted = [...list].sort((a, b) => a - b)
  console.log(`  ${name.padEnd(38)} median ${at(sorted, 0.5).toFixed(0)} ms, p90 ${at(sorted, 0.9).toFixed(0)} ms`)
}
