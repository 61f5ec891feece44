// Runs one write of Auth Pool's in a process whose files may not grow past a limit (RLIMIT_FSIZE, set by
// the caller with `ulimit -f`): the way a full disk fails a write, first short, then with an error.
// Usage: node --import tsx limitedWriter.ts <home> commit | <path> atomic <bytes>
// Prints one JSON line: {"ok":true} or {"error":"<code>"}.
import { createStateStore } from '../../src/main/store/stateStore'
import { writeFileAtomic } from '../../src/main/system/atomicFile'

const [target, mode, bytes] = process.argv.slice(2)
const report = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n')
const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error)

if (mode === 'atomic') {
  try {
    writeFileAtomic(target!, Buffer.alloc(Number(bytes), 'x'))
    report({ ok: true })
  } catch (error) {
    report({ error: codeOf(error) })
  }
} else if (mode === 'commit') {
  const store = createStateStore({ home: target! })
  try {
    // About 12 kB more than the file holds now.
    await store.transact((d) => {
      for (let i = 0; i < 40; i++)
        d.recoveries.push({
          at: new Date().toISOString(),
          reason: `filler ${i} `.repeat(25),
          movedAsideTo: `/nowhere/${i}`,
          restoredFrom: 'empty',
          backup: null,
        })
      d.recoveries = d.recoveries.slice(-50)
    })
    report({ ok: true })
  } catch (error) {
    report({ error: codeOf(error) })
  }
} else {
  process.stderr.write('usage: limitedWriter.ts <home> commit | <path> atomic <bytes>\n')
  process.exit(2)
}
