import { isatty } from 'node:tty'
import { runCli } from './main'

// Entry of bin/auth-pool. Output is written before exiting so nothing is cut off on a pipe.
const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text + '\n'),
  stderr: (text) => process.stderr.write(text + '\n'),
  env: process.env,
  // isatty rather than process.stdin.isTTY: opening stdin as a stream loads all of Node's streams.
  interactive: isatty(0),
  execve(file, args, env) {
    // Only once everything written has reached its pipe (writes to a pipe are asynchronous on macOS).
    if (typeof process.execve === 'function' && !process.stdout.writableLength && !process.stderr.writableLength)
      process.execve(file, [...args], env as Record<string, string>)
  },
  onSignal(signal, listener) {
    process.on(signal, listener)
    return () => void process.off(signal, listener)
  },
})
process.exitCode = code
