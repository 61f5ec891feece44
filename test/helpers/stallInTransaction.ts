// A process that stops in the middle of a transaction, as a suspended laptop or Ctrl-Z would stop one.
// Usage: node --import tsx stallInTransaction.ts <home>. Prints "in transaction" once it holds the lock
// and has loaded the document, then spins long enough for the test to send it SIGSTOP there; once it
// goes on, it commits a note and prints "committed".
import { createStateStore } from '../../src/main/store/stateStore'

const home = process.argv[2]!
const store = createStateStore({ home, lock: { command: 'stall test' } })
await store.transact((d) => {
  process.stdout.write('in transaction\n') // synchronous on a pipe: the test reads it before the spin ends
  // Spins where SIGSTOP lands, until it notices it was stopped (the clock jumped) or 30 s have passed.
  const until = Date.now() + 30_000
  for (let last = Date.now(), t = last; t < until && t - last < 500; last = t, t = Date.now());
  d.recoveries.push({
    at: new Date().toISOString(),
    reason: 'held through a stop',
    movedAsideTo: null,
    restoredFrom: 'empty',
    backup: null,
  })
})
process.stdout.write('committed\n')
