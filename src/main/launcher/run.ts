import { constants } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import type { Pool } from '../engine/pool'
import { readLoginIdentity } from '../engine/identity'
import type { FileSystem } from '../engine/ports'
import type { AccountView } from '../../shared/schemas/pool'
import { claudeIntent } from './claudeArgs'
import { resolveClaude } from './executable'
import { accountHoldingLatestSessionOf, accountHoldingSession } from './sessionLocator'
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

/**
 * Chooses the account for a Claude Code command line: explicit account; the holder of the session
 * being resumed; the holder of this folder's latest conversation for --continue; else the engine's
 * order (folder assignment, tray pick, healthiest). A resume or continue whose account is limited is
 * refused unless anyAccount — silently starting a fresh conversation elsewhere would lose its context.
 */
export async function chooseForRun(
  engine: Pool,
  options: RunOptions,
  cwd: string,
): Promise<{ account: AccountView; notice: string | null }> {
  if (options.account) return { account: (await engine.pick({ account: options.account })).account, notice: null }
  const intent = claudeIntent(options.claudeArgs)
  // Every account's standing is worked out only when a conversation's holder is looked for.
  const accounts = intent.resume || intent.continue ? (await engine.listAccounts()).filter((a) => a.enabled) : []
  const holder = intent.resume
    ? accountHoldingSession(accounts, intent.resume)
    : intent.continue
      ? accountHoldingLatestSessionOf(accounts, cwd)
      : undefined
  const what = intent.resume ? `session ${intent.resume}` : "this folder's last conversation"
  if (holder) {
    if (holder.standing.available) return { account: holder, notice: null }
    if (!options.anyAccount)
      throw new LaunchError(
        `${what} is on ${holder.name}, which is ${holder.standing.reason}${holder.standing.freesAt ? ` until ${holder.standing.freesAt}` : ''}; wait, or pass --any-account to start a new conversation on another account`,
        1,
      )
    const other = await engine.pick({ cwd })
    return {
      account: other.account,
      notice: `${what} is on ${holder.name} (${holder.standing.reason}); starting on ${other.account.name} instead`,
    }
  }
  const picked = await engine.pick({ cwd })
  const missing = intent.resume || intent.continue ? `no account holds ${what}; ` : ''
  return {
    account: picked.account,
    notice: picked.notice || missing ? `${missing}${picked.notice ?? `using ${picked.account.name}`}` : null,
  }
}

/** `auth-pool run`: Claude Code on the chosen account, with the terminal's stdio; resolves to the exit code. */
export async function runClaude(engine: Pool, fs: FileSystem, options: RunOptions, io: RunIo): Promise<number> {
  const cwd = options.cwd ? (isAbsolute(options.cwd) ? options.cwd : resolve(options.cwd)) : process.cwd()
  if (!fs.stat(cwd)?.isDirectory) throw new LaunchError(`--cwd ${cwd} is not a directory`, 2)
  const claude = resolveClaude((await engine.settings()).claudePath, io.env)
  if ('error' in claude) throw new LaunchError(claude.error, 2)

  const env: NodeJS.ProcessEnv = { ...io.env }
  const keys = API_KEY_VARIABLES.filter((name) => env[name])
  if (keys.length && !options.keepApiKey) {
    io.stderr(
      `auth-pool: ${keys.join(' and ')} set: Claude Code would bill the API, not the subscription; removed for this session (--keep-api-key keeps it)`,
    )
    for (const name of keys) delete env[name]
  }
  const { account, notice } = await chooseForRun(engine, options, cwd)
  // A kept API key or an OAuth token in the environment authenticates Claude Code without a stored login.
  const envAuth = (options.keepApiKey === true && keys.length > 0) || !!env.CLAUDE_CODE_OAUTH_TOKEN
  // Only a conversation needs a login and is recorded as a session (not `mcp list`, `--version`, `auth login`).
  const conversation = claudeIntent(options.claudeArgs).conversation
  if (conversation && !envAuth && !readLoginIdentity(fs, account.configDir).loggedIn)
    throw new LaunchError(
      `account ${account.name} has no Claude login in ${account.configDir}; run \`auth-pool login ${account.name}\` first`,
      2,
    )
  if (notice) io.stderr(`auth-pool: ${notice}`)

  env.CLAUDE_CONFIG_DIR = account.configDir
  // Nothing to record: Claude Code takes this process's place, with its stdio, signals and exit code.
  if (!conversation && io.execve) {
    process.chdir(cwd)
    io.execve(claude.path, [claude.path, ...options.claudeArgs], env)
  }
  const session = conversation ? (await engine.allocate({ cwd, account: account.id })).session : undefined
  const child = spawnProcess(claude.path, [...options.claudeArgs], { cwd, env, stdio: 'inherit', shell: false })
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
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (c, s) => done({ code: c, signal: s })),
  )
  for (const off of unsubscribe) off()
  await record('the end of the session', 'the next reconcile ends it (`auth-pool reconcile`)', (id) =>
    engine.release(id, signal ? `signal ${signal}` : code === 0 ? 'exited' : `exit code ${code}`),
  )
  return signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1)
}

export type ShellKind = 'posix' | 'fish' | 'powershell'

/** `export CLAUDE_CONFIG_DIR=…` for the given shell, safely quoted. */
export function envLine(configDir: string, shell: ShellKind): string {
  if (shell === 'fish') return `set -gx CLAUDE_CONFIG_DIR '${configDir.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  if (shell === 'powershell') return `$env:CLAUDE_CONFIG_DIR = '${configDir.replace(/'/g, "''")}'`
  return `export CLAUDE_CONFIG_DIR='${configDir.replace(/'/g, `'\\''`)}'`
}
