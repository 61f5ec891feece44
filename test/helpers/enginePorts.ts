import { join } from 'node:path'
import { createPool } from '../../src/main/engine/pool'
import { nodeFileSystem, nodeProcesses } from '../../src/main/system/nodePorts'
import { NO_USAGE, type AccountUsage, type EnginePorts, type PoolNotification } from '../../src/main/engine/ports'
import { createStateStore } from '../../src/main/store/stateStore'
import { FakeClock } from './fakeClock'
import { tempDir } from './tempDir'
import { writeLogin } from './accounts'
import { randomId } from '../../src/main/system/random'

/** A real engine on a real store in a temp dir; usage figures are set per account id by the test. */
export function testEngine(overrides: Partial<EnginePorts> = {}) {
  const home = overrides.store ? '' : join(tempDir(), 'home')
  const store = overrides.store ?? createStateStore({ home: home })
  const clock = (overrides.clock as FakeClock | undefined) ?? new FakeClock()
  const usage = new Map<string, Partial<AccountUsage>>()
  const notifications: PoolNotification[] = []
  const engine = createPool({
    newId: randomId,
    store,
    clock,
    notifier: { notify: async (n) => void notifications.push(n) },
    processes: nodeProcesses,
    fs: nodeFileSystem,
    usage: { usageOf: (a) => ({ ...NO_USAGE, ...usage.get(a.id) }) },
    deliveryBackoffMs: [], // one attempt; the delivery tests set their own back-off
    ...overrides,
  })
  return { engine, store, clock, usage, notifications, home }
}

/**
 * A real directory to use as an account's CLAUDE_CONFIG_DIR, logged in as Claude Code leaves one on macOS
 * (an `oauthAccount` in `.claude.json`, the token in the Keychain: none here, so nothing polls Anthropic);
 * `login: false` leaves it as a fresh directory no one has logged in to.
 */
export function accountDir(name = 'acct', { login = true }: { readonly login?: boolean } = {}): string {
  const dir = tempDir(`${name}-`)
  if (login) writeLogin(dir, `${name}@example.com`)
  return dir
}
