import type { ChildProcess, SpawnOptions } from 'node:child_process'

/**
 * child_process's spawn, loaded on first use: loading it costs every command a few ms, and a `run` whose
 * program replaces the process (execve) never spawns.
 */
export function spawnProcess(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return process.getBuiltinModule('node:child_process').spawn(command, args, options)
}
