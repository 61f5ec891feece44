import type { Pool } from '../engine/pool'
import type { FileSystem } from '../engine/ports'
import { envLine, loginClaude, runClaude, type RunIo, type ShellKind } from '../launcher/run'
import { claudeIntent } from '../launcher/claudeArgs'
import { setStatusLine } from '../launcher/statusLineSetting'
import { runStatusline } from './statusline'
import { authPoolExecutable } from '../paths'
import type { UsageService } from '../usage/usageService'
import { isDefaultConfigDir } from '../engine/configFiles'
import { usageReport, usageTable } from './usageReport'
import { UsageError, type Flags, type ParsedArgs, type PositionalSpec } from './args'
import { accountLine, sessionLine, statusText } from './format'
import { clockTime, limitWarning } from '../../shared/format'
import { NO_ACCOUNTS_YET } from '../../shared/errors'
import { accountRef, dateOrTime, dollars, folder, integer, oneOf, pathText, plan, sessionId } from './values'
import { completionScript, SHELLS } from './completion'

export interface CliContext {
  readonly engine: Pool
  readonly usage: UsageService
  readonly fs: FileSystem
  readonly io: RunIo
  /** Auth Pool's home folder. */
  readonly home: string
  /** Asks Anthropic's usage endpoint for the accounts whose figures are due (and only those). */
  readonly pollServer: () => Promise<void>
}

/** A command that ran a child process and ends with its exit code (`run`, `login`). */
export interface CommandExit {
  readonly exitCode: number
}

export interface CommandOutput {
  /** What `--json` prints. */
  readonly json: unknown
  /** The human summary. */
  readonly text: string
}

export interface Command {
  /** The words that name it: `accounts add`. */
  readonly name: string
  readonly summary: string
  readonly positionals?: readonly PositionalSpec[]
  readonly flags: Flags
  /** Flags that must be given, named in the usage line. */
  readonly required?: readonly string[]
  /** Words after `--` go to Claude Code (`run`). */
  readonly passThrough?: boolean
  /** Whether it reads the pool's usage (most do): a first start reads the transcripts first. */
  readonly readsUsage?: boolean
  /** What stdout gets when it fails (not with --json): for `env`, a statement that makes `eval` fail. */
  readonly onFailure?: (argv: readonly string[]) => string
  readonly run: (context: CliContext, args: ParsedArgs) => Promise<CommandOutput | CommandExit>
}

const JSON_FLAG = { json: { type: 'boolean', help: 'print the result as JSON' } } as const
const ACCOUNT_FLAG = {
  account: { type: 'string', value: 'NAME', help: 'an account, by name', parse: accountRef },
} as const
const CWD_FLAG = {
  cwd: { type: 'string', value: 'DIR', help: 'the folder (default: this one)', parse: folder },
} as const

const accountFields = {
  plan: { type: 'string', value: 'PLAN', help: 'pro, max5, max20 or custom', parse: plan },
  'block-budget-usd': {
    type: 'string',
    value: 'USD',
    help: "the 5-hour window's budget in US dollars",
    parse: dollars,
  },
  'weekly-budget-usd': { type: 'string', value: 'USD', help: "the week's budget in US dollars", parse: dollars },
  priority: { type: 'string', value: 'N', help: 'from -100 to 100; higher wins ties', parse: integer(-100, 100) },
  create: { type: 'boolean', help: 'make the config directory (0700) if it does not exist' },
} as const

const shellKinds: Record<string, ShellKind> = {
  posix: 'posix',
  sh: 'posix',
  bash: 'posix',
  zsh: 'posix',
  fish: 'fish',
  powershell: 'powershell',
}
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** The first positional, or a usage error naming what is missing. */
function first(args: ParsedArgs, what: string): string {
  const value = args.positionals[0]
  if (value === undefined) throw new UsageError(`missing ${what}`)
  return value
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'run',
    summary: 'Claude Code on the account with the most headroom (claude arguments after --)',
    positionals: [{ name: 'PROMPT', help: 'a first prompt for Claude Code', optional: true }],
    flags: {
      ...ACCOUNT_FLAG,
      ...CWD_FLAG,
      'any-account': {
        type: 'boolean',
        help: "when the conversation's account is unavailable, start a new conversation on another",
      },
      'keep-api-key': { type: 'boolean', help: 'keep ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN for Claude Code' },
    },
    passThrough: true,
    readsUsage: true,
    async run(context, { flags, positionals, rest }) {
      // A conversation is placed on Claude's own figures: those due are asked for first.
      if (claudeIntent([...positionals, ...rest]).conversation) await context.pollServer()
      const exitCode = await runClaude(
        context.engine,
        context.fs,
        {
          account: flags.account as string | undefined,
          cwd: flags.cwd as string | undefined,
          anyAccount: flags['any-account'] === true,
          keepApiKey: flags['keep-api-key'] === true,
          claudeArgs: [...positionals, ...rest],
        },
        context.io,
        (account) => context.usage.refresh(account),
      )
      return { exitCode }
    },
  },
  {
    name: 'env',
    summary: 'CLAUDE_CONFIG_DIR for a plain `claude` in this shell: eval "$(auth-pool env)"',
    flags: {
      ...ACCOUNT_FLAG,
      ...CWD_FLAG,
      shell: {
        type: 'string',
        value: 'SHELL',
        help: 'posix (bash, zsh, sh), fish or powershell',
        parse: oneOf(shellKinds),
      },
      ...JSON_FLAG,
    },
    readsUsage: true,
    // Without an account nothing is set: `eval` fails too, and a plain `claude` is not run on a default.
    onFailure: (argv) =>
      argv.includes('powershell') ? "throw 'auth-pool: no account for CLAUDE_CONFIG_DIR'" : 'false',
    async run({ engine, io, fs, pollServer }, { flags }) {
      await pollServer()
      const shell = (flags.shell as ShellKind | undefined) ?? 'posix'
      const { account, notice } = await engine.pick({ account: flags.account, cwd: flags.cwd ?? process.cwd() })
      if (notice) io.stderr(`auth-pool: ${notice}`)
      const warning = limitWarning(account)
      if (warning) io.stderr(`auth-pool: ${warning}`)
      const line = envLine(account.configDir, shell, isDefaultConfigDir(fs, account.configDir))
      return {
        json: { account: { id: account.id, name: account.name, configDir: account.configDir }, notice, line },
        text: line,
      }
    },
  },
  {
    name: 'status',
    summary: 'the pool in a few lines',
    flags: JSON_FLAG,
    readsUsage: true,
    async run({ engine, pollServer }) {
      await pollServer()
      const status = await engine.status()
      return { json: status, text: statusText(status) }
    },
  },
  {
    name: 'usage',
    summary: "each account's 5-hour blocks, week, limits and skipped lines",
    flags: {
      ...ACCOUNT_FLAG,
      since: { type: 'string', value: 'DATE', help: 'only blocks ending after this date or time', parse: dateOrTime },
      ...JSON_FLAG,
    },
    readsUsage: true,
    async run(context, { flags }) {
      await context.pollServer()
      const report = await usageReport(context, {
        account: flags.account as string | undefined,
        since: flags.since as number | undefined,
      })
      return { json: report, text: usageTable(report) }
    },
  },
  {
    name: 'accounts add',
    summary: 'adds an account: a Claude Code config directory and its plan',
    flags: {
      name: { type: 'string', value: 'NAME', help: 'its name: letters, digits, spaces, . _ -' },
      'config-dir': { type: 'string', value: 'DIR', help: 'its CLAUDE_CONFIG_DIR', parse: pathText },
      ...accountFields,
      disable: { type: 'boolean', help: 'add it disabled' },
      ...JSON_FLAG,
    },
    required: ['name', 'config-dir'],
    async run({ engine }, { flags }) {
      const account = await engine.addAccount({
        name: flags.name,
        configDir: flags['config-dir'],
        plan: flags.plan,
        blockBudgetUsd: flags['block-budget-usd'],
        weeklyBudgetUsd: flags['weekly-budget-usd'],
        priority: flags.priority,
        create: flags.create === true,
        enabled: flags.disable !== true,
      })
      return { json: account, text: `added ${account.name} (${account.plan}) at ${account.configDir}` }
    },
  },
  {
    name: 'accounts list',
    summary: 'every account and where it stands',
    flags: JSON_FLAG,
    readsUsage: true,
    async run({ engine, pollServer }) {
      await pollServer()
      const accounts = await engine.listAccounts()
      return { json: accounts, text: accounts.length ? accounts.map(accountLine).join('\n') : NO_ACCOUNTS_YET }
    },
  },
  {
    name: 'accounts set',
    summary: "changes an account's name, directory, plan, budgets, priority or whether it is used",
    positionals: [{ name: 'NAME', help: 'the account' }],
    flags: {
      name: { type: 'string', value: 'NEW', help: 'a new name' },
      'config-dir': { type: 'string', value: 'DIR', help: 'a new CLAUDE_CONFIG_DIR', parse: pathText },
      ...accountFields,
      enable: { type: 'boolean', help: 'use it again' },
      disable: { type: 'boolean', help: 'stop using it for new sessions' },
      statusline: {
        type: 'string',
        value: 'on|off',
        help: "Auth Pool's status line in its settings.json: Claude's own usage figures, live (off: yours back)",
        parse: oneOf({ on: true, off: false }),
      },
      ...JSON_FLAG,
    },
    async run({ engine, home }, args) {
      const { flags } = args
      if (flags.enable && flags.disable) throw new UsageError('give --enable or --disable, not both')
      const patch = Object.fromEntries(
        Object.entries({
          name: flags.name,
          configDir: flags['config-dir'],
          plan: flags.plan,
          blockBudgetUsd: flags['block-budget-usd'],
          weeklyBudgetUsd: flags['weekly-budget-usd'],
          priority: flags.priority,
          enabled: flags.enable ? true : flags.disable ? false : undefined,
        }).filter(([, v]) => v !== undefined),
      )
      const changes = Object.keys(patch).length > 0
      if (!changes && flags.statusline === undefined)
        throw new UsageError('nothing to change: give at least one option')
      const name = accountRef(first(args, 'the account to change'), 'NAME')
      const account = changes
        ? await engine.updateAccount(name, patch, { create: flags.create === true })
        : (await engine.pick({ account: name, ownCredentials: true })).account
      const said = changes ? [`updated ${account.name}`] : []
      if (flags.statusline !== undefined)
        said.push(setStatusLine(home, account, flags.statusline === true, authPoolExecutable(import.meta.url)))
      return { json: account, text: said.join('\n') }
    },
  },
  {
    name: 'accounts remove',
    summary: 'removes an account from the pool (its directory stays on disk)',
    positionals: [{ name: 'NAME', help: 'the account' }],
    flags: { force: { type: 'boolean', help: 'even with active sessions' }, ...JSON_FLAG },
    async run({ engine }, args) {
      const account = await engine.removeAccount(accountRef(first(args, 'the account to remove'), 'NAME'), {
        force: args.flags.force === true,
      })
      return { json: account, text: `removed ${account.name}; ${account.configDir} was left on disk` }
    },
  },
  {
    name: 'login',
    summary: "Claude Code's login for an account, in this terminal (no --json: it is interactive)",
    positionals: [{ name: 'NAME', help: 'the account' }],
    flags: {},
    async run(context, args) {
      return {
        exitCode: await loginClaude(
          context.engine,
          context.fs,
          accountRef(first(args, 'the account to log in'), 'NAME'),
          context.io,
        ),
      }
    },
  },
  {
    name: 'prefer',
    summary: 'the account new sessions use while it has headroom, as picked in the tray (auto: the best)',
    positionals: [{ name: 'NAME|auto', help: 'an account, or auto' }],
    flags: JSON_FLAG,
    readsUsage: true,
    async run({ engine, io }, args) {
      const name = accountRef(first(args, 'an account name or "auto"'), 'NAME')
      const id = await engine.setPreferredAccount(name.toLowerCase() === 'auto' ? null : name)
      const picked = id ? (await engine.listAccounts()).find((a) => a.id === id) : undefined
      const warning = picked && limitWarning(picked)
      if (warning) io.stderr(`auth-pool: ${warning}; until then new sessions go to the best available account`)
      return {
        json: { preferredAccountId: id },
        text: picked ? `new sessions prefer ${picked.name}` : 'new sessions go to the best available account',
      }
    },
  },
  {
    name: 'sessions',
    summary: "sessions, newest first, with Claude Code's session id to --resume",
    flags: { ...ACCOUNT_FLAG, active: { type: 'boolean', help: 'only the running ones' }, ...JSON_FLAG },
    async run({ engine }, { flags }) {
      const [sessions, accounts] = await Promise.all([
        engine.sessions({ account: flags.account as string | undefined, activeOnly: flags.active === true }),
        engine.listAccounts(),
      ])
      const names = new Map(accounts.map((a) => [a.id, a.name]))
      return {
        json: sessions,
        text: sessions.length
          ? sessions.map((s) => sessionLine(s, names.get(s.accountId) ?? s.accountId)).join('\n')
          : 'no sessions',
      }
    },
  },
  {
    name: 'allocate',
    summary: 'records a session on the best account and prints it (for scripts; run does this for you)',
    flags: {
      ...CWD_FLAG,
      ...ACCOUNT_FLAG,
      pid: { type: 'string', value: 'PID', help: 'the process the session runs in', parse: integer(1, 2 ** 31) },
      ...JSON_FLAG,
    },
    readsUsage: true,
    async run({ engine }, { flags }) {
      const a = await engine.allocate({ cwd: flags.cwd, account: flags.account, pid: flags.pid })
      return {
        json: {
          session: { id: a.session.id, accountId: a.account.id },
          account: { id: a.account.id, name: a.account.name, configDir: a.account.configDir },
          reason: a.reason,
          notice: a.notice,
        },
        text: `${a.notice ? `${a.notice}\n` : ''}session ${a.session.id} on ${a.account.name} (${a.reason}); CLAUDE_CONFIG_DIR=${a.account.configDir}`,
      }
    },
  },
  {
    name: 'release',
    summary: 'ends a session allocate recorded',
    positionals: [{ name: 'SESSION_ID', help: 'its id' }],
    flags: JSON_FLAG,
    async run({ engine }, args) {
      const session = await engine.release(sessionId(first(args, 'the session id'), 'SESSION_ID'))
      return { json: session, text: `session ${session.id} ${session.status}` }
    },
  },
  {
    name: 'notifications',
    summary: 'notifications raised so far (--check evaluates the rules now; what fires goes to stderr)',
    flags: { check: { type: 'boolean', help: 'evaluate the rules now' }, ...JSON_FLAG },
    readsUsage: true,
    async run({ engine }, { flags }) {
      if (flags.check) await engine.evaluateRules()
      const history = await engine.notifications()
      return {
        json: history,
        text: history.length
          ? history.map((n) => `${clockTime(n.at)}  ${n.delivery.padEnd(11)}  ${n.title} — ${n.body}`).join('\n')
          : 'no notifications yet',
      }
    },
  },
  {
    name: 'reconcile',
    summary: 'ends sessions whose process is gone, moves folders off exhausted accounts',
    flags: JSON_FLAG,
    readsUsage: true,
    async run({ engine }) {
      const outcome = await engine.reconcile()
      return {
        json: outcome,
        text: `ended ${plural(outcome.reaped + outcome.expired, 'session')}, moved ${plural(outcome.reassigned, 'folder')}, pruned ${plural(outcome.pruned, 'old session')}`,
      }
    },
  },
  {
    name: 'statusline',
    summary:
      "an account's status line for Claude Code (Claude Code's JSON on stdin): records its usage figures, prints yours or a short one",
    flags: {},
    async run({ home, io }) {
      // bin/auth-pool runs the status line's own small bundle; this is the same, reached with more words.
      const { readFileSync } = await import('node:fs')
      let out = ''
      runStatusline({ env: io.env, home, stdin: readFileSync(0, 'utf8'), now: Date.now(), stdout: (t) => (out += t) })
      return { json: null, text: out.replace(/\n$/, '') }
    },
  },
  {
    name: 'completion',
    summary: 'a shell completion script: eval "$(auth-pool completion bash)"',
    positionals: [{ name: 'SHELL', help: SHELLS.join(', ') }],
    flags: {},
    async run(_context, args) {
      const shell = first(args, `the shell (${SHELLS.join(', ')})`)
      if (!(SHELLS as readonly string[]).includes(shell))
        throw new UsageError(`SHELL must be one of ${SHELLS.join(', ')}, got ${JSON.stringify(shell)}`)
      return { json: null, text: completionScript(shell as (typeof SHELLS)[number], COMMANDS) }
    },
  },
]
