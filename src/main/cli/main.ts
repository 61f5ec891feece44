import { toErrorValue } from '../../shared/errors'
import type { ErrorValue } from '../../shared/result'
import { createPool, type Pool } from '../engine/pool'
import { nodeFileSystem, nodeProcesses, systemClock } from '../system/nodePorts'
import type { Notifier } from '../engine/ports'
import { createUsageService } from '../usage/usageService'
import { join } from 'node:path'
import { builtUsageWorker, defaultHome } from '../paths'
import { createStateStore } from '../store/stateStore'
import { UsageError } from './args'
import { LaunchError, type RunIo } from '../launcher/run'
import { helpText, parseCommandArgs, resolveCommand, type CliContext } from './commands'
import { randomId } from '../system/random'

export interface CliIo extends RunIo {
  readonly stdout: (text: string) => void
}

/** Headless runs print notifications to stderr instead of showing them. */
const stderrNotifier = (io: CliIo): Notifier => ({
  notify: async (n) => io.stderr(`auth-pool: ${n.title}: ${n.body}`),
})

/** How long a command waits for a live process holding the state lock: AUTH_POOL_LOCK_WAIT seconds, or 30. */
function lockWaitMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.AUTH_POOL_LOCK_WAIT)
  return env.AUTH_POOL_LOCK_WAIT && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 30_000
}

export function createCliContext(io: CliIo, commandName = 'command'): CliContext {
  const home = defaultHome(io.env)
  const store = createStateStore({
    home,
    lock: {
      command: `auth-pool ${commandName}`,
      timeoutMs: lockWaitMs(io.env),
      onWait: (holder) =>
        io.stderr(`auth-pool: waiting for process ${holder.pid} (${holder.command}), which holds the state lock`),
    },
    onRecover: (r) =>
      io.stderr(
        `auth-pool: the state file was unusable (${r.reason})` +
          (r.movedAsideTo ? `; it was moved to ${r.movedAsideTo}` : '') +
          (r.backup ? ` and the last good generation (${r.backup}) restored` : ' and a new empty pool started'),
      ),
  })
  const usage = createUsageService({
    indexDir: join(home, 'usage-index'),
    workerScript: builtUsageWorker(import.meta.url),
  })
  const engine: Pool = createPool({
    newId: randomId,
    store,
    clock: systemClock,
    notifier: stderrNotifier(io),
    processes: nodeProcesses,
    fs: nodeFileSystem,
    usage,
  })
  return {
    engine,
    usage,
    fs: nodeFileSystem,
    io,
    // Before a command reads usage: on a first start, read the accounts' transcripts on both cores.
    prime: async () => void (await usage.prime((await store.read()).accounts)),
  }
}

const USAGE_CODES = new Set(['VALIDATION', 'NOT_FOUND', 'CONFLICT', 'USAGE'])

/** Runs one command; returns the exit code: 0 success, 1 runtime failure, 2 bad usage or input. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const dashDash = argv.indexOf('--')
  const json = (dashDash === -1 ? argv : argv.slice(0, dashDash)).includes('--json')
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(helpText())
    return 0
  }
  try {
    const { name, command, rest } = resolveCommand(argv)
    const args = parseCommandArgs(command, rest)
    const context = createCliContext(io, name)
    context.usage.setPricing((await context.engine.settings()).pricing)
    await context.prime()
    const output = await command.run(context, args)
    context.usage.close() // writes an index whose summary had to be recomputed (new prices)
    if ('exitCode' in output) return output.exitCode
    io.stdout(json ? JSON.stringify(output.json, null, 2) : output.text)
    return 0
  } catch (error) {
    if (error instanceof LaunchError) {
      io.stderr(`auth-pool: ${error.message}`)
      return error.exitCode
    }
    const value: ErrorValue | { code: 'USAGE'; message: string } =
      error instanceof UsageError ? { code: 'USAGE', message: error.message } : toErrorValue(error)
    if (json) io.stdout(JSON.stringify({ error: value }, null, 2))
    io.stderr(`auth-pool: ${value.message}`)
    if (value.code === 'INTERNAL' && io.env.AUTH_POOL_DEBUG && error instanceof Error) io.stderr(error.stack ?? '')
    return USAGE_CODES.has(value.code) ? 2 : 1
  }
}
