// A process whose caller exits right after a commit that served another process's request: the store
// keeps the lock while that caller runs (see commitBatch in stateStore.ts). Usage: exitHoldingLock.ts
// <home>. Prints whether the lock was held as the caller ran; exits 0 from inside the caller.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createConfBackend } from '../../src/main/store/confBackend'
import { acquireFileLock } from '../../src/main/store/fileLock'
import { createStateStore } from '../../src/main/store/stateStore'

const home = process.argv[2]!
const lockPath = join(home, 'state.json.lock')
const ping = {
  parseInput: (input: unknown) => input,
  run: () => 'pong',
  applied: () => false,
  parseValue: (value: unknown) => value,
}
const [holder, asker] = [0, 1].map(() => {
  const store = createStateStore({ backend: createConfBackend(home) })
  store.defineOperation('ping', ping)
  return store
})
// The asker's request waits while the lock is taken, so the holder's commit serves it.
const held = await acquireFileLock(lockPath)
void asker!.submit('ping', 'ping-0001', null, new Date())
const committed = holder!.transact(
  (d) =>
    void d.recoveries.push({ at: new Date().toISOString(), reason: 'exit', movedAsideTo: '-', restoredFrom: 'empty' }),
)
await new Promise((resolve) => setTimeout(resolve, 30))
held.release()
await committed
process.stdout.write(String(existsSync(lockPath)))
process.exit(0)
