import type { ChildProcess, SpawnOptions } from 'node:child_process'

/**
 * child_process's spawn, loaded on first use: most commands never spawn, nor does a `run` whose program
 * replaces the process (execve).
 */
export function spawnProcess(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return process.getBuiltinModule('node:child_process').spawn(command, args, options)
}
