import { runCli } from './main'

// Entry of bin/auth-pool. Output is written before exiting so nothing is cut off on a pipe.
const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text + '\n'),
  stderr: (text) => process.stderr.write(text + '\n'),
  env: process.env,
  interactive: process.stdin.isTTY === true,
  onSignal(signal, listener) {
    process.on(signal, listener)
    return () => void process.off(signal, listener)
  },
})
process.exitCode = code
