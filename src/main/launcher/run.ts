import { constants } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import type { Pool } from '../engine/pool'
import { isDefaultConfigDir } from '../engine/configFiles'
import type { FileSystem } from '../engine/ports'
import type { AccountView } from '../../shared/schemas/pool'
import { clockTime, limitWarning } from '../../shared/format'

import { claudeIntent } from './claudeArgs'
import { resolveClaude } from './executable'
import { accountHoldingSession, latestConversationOf } from './sessionLocator'
import { spawnProcess } from '../system/spawn'

/** A launcher failure with its exit code: 2 for bad input, 1 for runtime problems. */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message)
    this.name = 'LaunchError'
  }
}

export interface RunOptions {
  readonly account?: string
  readonly cwd?: string
  readonly anyAccount?: boolean
  readonly keepApiKey?: boolean
  readonly claudeArgs: readonly string[]
}

export interface RunIo {
  readonly env: NodeJS.ProcessEnv
  readonly stderr: (line: string) => void
  /** Signals the launcher receives; it forwards them to Claude Code. */
  readonly onSignal: (signal: NodeJS.Signals, listener: () => void) => () => void
  /** Whether SIGINT can come from a keyboard (then the terminal already sent it to Claude Code too). */
  readonly interactive: boolean
  /**
   * Replaces this process with another program where it can (POSIX, with nothing left to write); returns
   * when it cannot, and the program is spawned instead.
   */
  readonly execve?: (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => void
}

const API_KEY_VARIABLES = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'] as const

/** A Claude Code command line without what resumes a conversation: for a new one on another account. */
function withoutResume(args: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--') return [...out, ...args.slice(i)]
    if (arg === '--continue' || arg === '-c' || arg === '--fork-session' || arg.startsWith('--resume=')) continue
    if (arg === '--resume' || arg === '-r') {
      if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('-')) i++
      continue
    }
    out.push(arg)
  }
  return out
}

/** Why an account cannot take a session now, as a clause: "limited until 14:00 (…)". */
const unavailable = (a: AccountView) =>
  a.standing.status === 'disabled'
    ? 'disabled'
    : `unavailable${a.standing.freesAt ? ` until ${clockTime(a.standing.freesAt)}` : ''} (${a.standing.reason})`

/** Where a run goes: the account, a line to tell the user, the conversation it continues, and its arguments. */
interface RunPlan {
  readonly account: AccountView
  readonly notice: string | null
  /** Claude Code's id of the conversation this run continues (resume, continue), when known. */
  readonly conversationId: string | null
  readonly claudeArgs: readonly string[]
}

/**
 * Chooses the account for a Claude Code command line: explicit account; the holder of the session
 * being resumed; the holder of this folder's latest conversation for --continue; else the engine's
 * order (folder assignment, tray pick, healthiest). A conversation cannot move between accounts: when
 * its account is unavailable the run is refused, or with anyAccount a new conversation starts elsewhere.
 */
export async function chooseForRun(
  engine: Pool,
  options: RunOptions,
  cwd: string,
  ownCredentials = false,
): Promise<RunPlan> {
  const intent = claudeIntent(options.claudeArgs)
  const args = options.claudeArgs
  if (options.account)
    return {
      account: (await engine.pick({ account: options.account, ownCredentials })).account,
      notice: null,
      conversationId: intent.resume,
      claudeArgs: args,
    }
  // Every account's standing is worked out only when a conversation's holder is looked for.
  const accounts =
    intent.resume || intent.continue ? (await engine.listAccounts({ ownCredentials })).filter((a) => a.enabled) : []
  const held = intent.resume
    ? ((a) => a && { account: a, sessionId: intent.resume! })(accountHoldingSession(accounts, intent.resume))
    : intent.continue
      ? latestConversationOf(accounts, cwd)
      : undefined
  const what = intent.resume ? `conversation ${intent.resume}` : "this folder's last conversation"
  if (held) {
    const { account: holder } = held
    if (holder.standing.available)
      return { account: holder, notice: null, conversationId: held.sessionId, claudeArgs: args }
    if (!options.anyAccount)
      throw new LaunchError(
        `${what} is on ${holder.name}, which is ${unavailable(holder)}; a conversation cannot move to another account: wait, or pass --any-account to start a new conversation on another one`,
        1,
      )
    const other = await engine.pick({ cwd, ownCredentials })
    return {
      account: other.account,
      notice: `${what} stays on ${holder.name}, which is ${unavailable(holder)}; starting a new conversation on ${other.account.name}`,
      conversationId: null,
      claudeArgs: withoutResume(args),
    }
  }
  const picked = await engine.pick({ cwd, ownCredentials })
  const missing = intent.resume || intent.continue ? `no account holds ${what}; ` : ''
  return {
    account: picked.account,
    notice: picked.notice || missing ? `${missing}${picked.notice ?? `using ${picked.account.name}`}` : null,
    conversationId: null,
    claudeArgs: args,
  }
}

/**
 * The environment Claude Code runs in on an account: CLAUDE_CONFIG_DIR names its directory, except for
 * Claude Code's default (`~/.claude`), which it finds with the variable unset (set, Claude Code would look
 * for `~/.claude/.claude.json` and, on macOS, another Keychain entry, and find no login).
 */
export function accountEnv(fs: FileSystem, env: NodeJS.ProcessEnv, configDir: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, CLAUDE_CONFIG_DIR: configDir }
  if (isDefaultConfigDir(fs, configDir)) delete out.CLAUDE_CONFIG_DIR
  return out
}

/** API keys in the environment that would make Claude Code bill the API, and whether they are kept. */
function apiKeysOf(io: RunIo, keepApiKey: boolean): { keys: string[]; kept: boolean } {
  const keys = API_KEY_VARIABLES.filter((name) => io.env[name])
  return { keys, kept: keepApiKey && keys.length > 0 }
}

/** The environment Claude Code runs in on `account`: its config directory, and no API key unless kept. */
function claudeEnv(io: RunIo, fs: FileSystem, account: AccountView, keepApiKey: boolean): NodeJS.ProcessEnv {
  const env = accountEnv(fs, io.env, account.configDir)
  if (!keepApiKey) for (const name of API_KEY_VARIABLES) delete env[name]
  return env
}

/** `auth-pool run`: Claude Code on the chosen account, with the terminal's stdio; resolves to the exit code. */
export async function runClaude(
  engine: Pool,
  fs: FileSystem,
  options: RunOptions,
  io: RunIo,
  /** Reads what the session wrote to the account's transcripts, before the rules look at its usage. */
  refreshUsage: (account: AccountView) => void = () => undefined,
): Promise<number> {
  const cwd = options.cwd ? (isAbsolute(options.cwd) ? options.cwd : resolve(options.cwd)) : process.cwd()
  if (!fs.stat(cwd)?.isDirectory) throw new LaunchError(`--cwd ${cwd} is not a directory`, 2)
  const claude = resolveClaude((await engine.settings()).claudePath, io.env)
  if ('error' in claude) throw new LaunchError(claude.error, 2)

  // A kept API key or an OAuth token in the environment authenticates Claude Code without a stored login.
  // Only a conversation needs a login and is recorded as a session (not `mcp list`, `--version`, `auth login`).
  const keys = apiKeysOf(io, options.keepApiKey === true)
  if (keys.keys.length && !keys.kept)
    io.stderr(
      `auth-pool: ${keys.keys.join(' and ')} set: Claude Code would bill the API, not the subscription; removed for this session (--keep-api-key keeps it)`,
    )
  const ownCredentials = keys.kept || !!io.env.CLAUDE_CODE_OAUTH_TOKEN || !claudeIntent(options.claudeArgs).conversation
  const plan = await chooseForRun(engine, options, cwd, ownCredentials)
  const { account, notice } = plan
  const env = claudeEnv(io, fs, account, options.keepApiKey === true)
  const intent = claudeIntent(plan.claudeArgs)
  const conversation = intent.conversation
  if (!ownCredentials && account.standing.login !== 'logged_in')
    throw new LaunchError(
      `account ${account.name} ${account.standing.login === 'expired' ? 'has an expired Claude login' : 'has no Claude login'} in ${account.configDir}; run \`auth-pool login ${account.name}\` first`,
      1,
    )
  if (notice) io.stderr(`auth-pool: ${notice}`)
  const warning = conversation ? limitWarning(account) : undefined
  if (warning) io.stderr(`auth-pool: ${warning}`)

  // Nothing to record: Claude Code takes this process's place, with its stdio, signals and exit code.
  if (!conversation && io.execve) {
    process.chdir(cwd)
    io.execve(claude.path, [claude.path, ...plan.claudeArgs], env)
  }
  // A new conversation gets the session's own id, so `auth-pool sessions` shows what to --resume.
  const fresh =
    conversation &&
    !intent.resume &&
    !intent.continue &&
    !plan.claudeArgs.some((a) => a === '--session-id' || a.startsWith('--session-id='))
  const session = conversation
    ? (await engine.allocate({ cwd, account: account.id, conversationId: plan.conversationId, newConversation: fresh }))
        .session
    : undefined
  const claudeArgs = fresh && session ? ['--session-id', session.id, ...plan.claudeArgs] : plan.claudeArgs
  const child = spawnProcess(claude.path, [...claudeArgs], { cwd, env, stdio: 'inherit', shell: false })
  // Listened for at once: a Claude Code that exits while its session is still being recorded (`--version`
  // is done in 40 ms) must not leave the launcher waiting for an exit that already happened.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (c, s) => done({ code: c, signal: s })),
  )
  const spawned = await new Promise<boolean>((done) => {
    child.once('spawn', () => done(true))
    child.once('error', () => done(false))
  })
  // Once Claude Code runs, the session's bookkeeping may fail (a full disk, a lock held too long)
  // without taking the launcher down: it must stay to forward signals and pass the exit code on.
  const record = async (what: string, after: string, write: (id: string) => Promise<unknown>) => {
    if (!session) return
    try {
      await write(session.id)
    } catch (error) {
      if (!(error instanceof Error)) throw error
      io.stderr(`auth-pool: could not record ${what} (${error.message}); ${after}`)
    }
  }
  if (!spawned || child.pid === undefined) {
    await record('that Claude Code did not start', 'the session ends when it expires', (id) =>
      engine.release(id, 'spawn-failed'),
    )
    throw new LaunchError(`could not start ${claude.path}`, 2)
  }
  await record("Claude Code's process", 'the session ends when it expires', (id) => engine.attachPid(id, child.pid!))
  const unsubscribe = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) =>
    io.onSignal(signal, () => {
      // A keyboard Ctrl-C already reached Claude Code through the terminal's process group; a second
      // copy would read as "press again to exit". Signals sent to the launcher alone are forwarded.
      if (signal === 'SIGINT' && io.interactive) return
      child.kill(signal)
    }),
  )
  const { code, signal } = await exited
  for (const off of unsubscribe) off()
  await record('the end of the session', 'the next reconcile ends it (`auth-pool reconcile`)', (id) =>
    engine.release(id, signal ? `signal ${signal}` : code === 0 ? 'exited' : `exit code ${code}`),
  )
  // What the tray app would have said about this session's usage, said here once (the rules remember).
  if (session)
    await record('the notification rules', 'the tray app evaluates them', async () => {
      refreshUsage(account)
      await engine.evaluateRules()
    })
  return signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1)
}

/**
 * `auth-pool login NAME`: Claude Code's own login, in this terminal, for that account's directory. It
 * needs a terminal (it may ask for a code), and no API key, which would stand in for the login.
 */
export async function loginClaude(engine: Pool, fs: FileSystem, name: string, io: RunIo): Promise<number> {
  if (!io.interactive)
    throw new LaunchError('auth-pool login needs a terminal: Claude Code may ask you to paste a code; run it in one', 2)
  const { account } = await engine.pick({ account: name, ownCredentials: true })
  const claude = resolveClaude((await engine.settings()).claudePath, io.env)
  if ('error' in claude) throw new LaunchError(claude.error, 2)
  const env = accountEnv(fs, io.env, account.configDir)
  for (const key of API_KEY_VARIABLES) delete env[key]
  io.stderr(`auth-pool: logging in to account ${account.name} (${account.configDir})`)
  const child = spawnProcess(claude.path, ['auth', 'login'], { stdio: 'inherit', env, shell: false })
  return new Promise<number>((done) => {
    child.once('error', () => done(1))
    child.once('exit', (c) => done(c ?? 1))
  })
}

export type ShellKind = 'posix' | 'fish' | 'powershell'

/**
 * `export CLAUDE_CONFIG_DIR=…` for the given shell, safely quoted; for Claude Code's default directory,
 * the statement that unsets it.
 */
export function envLine(configDir: string, shell: ShellKind, isDefault = false): string {
  if (isDefault)
    return shell === 'fish'
      ? 'set -e CLAUDE_CONFIG_DIR'
      : shell === 'powershell'
        ? 'Remove-Item Env:CLAUDE_CONFIG_DIR -ErrorAction SilentlyContinue'
        : 'unset CLAUDE_CONFIG_DIR'
  if (shell === 'fish') return `set -gx CLAUDE_CONFIG_DIR '${configDir.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  if (shell === 'powershell') return `$env:CLAUDE_CONFIG_DIR = '${configDir.replace(/'/g, "''")}'`
  return `export CLAUDE_CONFIG_DIR='${configDir.replace(/'/g, `'\\''`)}'`
}
