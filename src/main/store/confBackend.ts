import Conf from 'conf'
import { mkdirSync } from 'node:fs'
import { backendFromConf, confOptions, type DocumentBackend } from './backend'

/** The state file through conf: used wherever Electron is absent (CLI, tests, benchmarks). */
export function createConfBackend(home: string): DocumentBackend {
  mkdirSync(home, { recursive: true, mode: 0o700 })
  return backendFromConf(new Conf<Record<string, unknown>>(confOptions(home)))
}
